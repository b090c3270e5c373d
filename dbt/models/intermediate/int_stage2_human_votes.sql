-- Per (attribute, prompt) item: the human votes and their majority. An even split (possible when
-- an item has an even number of human votes) gives no consensus: consensus_relevant is null and
-- consensus_tied is true; such items are left out of precision / recall / F1.
{{ config(
    materialized='bucketed_table',
    bucket_input='int_stage2_judgments',
    bucket_key=['attribute_id', 'prompt_id'],
) }}
with
human as ( select * from {{ bucket_of('int_stage2_judgments') }} where annotator_kind = 'human' ),
votes as (
    select
        attribute_id,
        prompt_id,
        user_id,
        -- Sorted by the first field, the annotator (one vote each): cheaper than `order by`.
        list_sort(list(
            {'annotator_id': annotator_id, 'relevant': relevant, 'rating': relevance_rating}
        )) as human_labels,
        count(*) as n_human_votes,
        count_if(relevant) as n_relevant_votes
    from human
    group by attribute_id, prompt_id, user_id
)
select
    *,
    case
        when 2 * n_relevant_votes > n_human_votes then true
        when 2 * n_relevant_votes < n_human_votes then false
    end as consensus_relevant,
    2 * n_relevant_votes = n_human_votes as consensus_tied
from votes
