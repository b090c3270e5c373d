-- Per attribute: every human label and the majority label. A tie for the most votes gives no
-- consensus (consensus_label null, consensus_tied true); nothing is broken at random.
{{ config(
    materialized='bucketed_table', bucket_input='int_stage1_judgments', bucket_key=['attribute_id']
) }}
with
human as ( select * from {{ bucket_of('int_stage1_judgments') }} where annotator_kind = 'human' ),
counts as (
    select
        attribute_id,
        user_id,
        -- Sorted by the first field, the annotator (one label each): cheaper than `order by`.
        list_sort(list(
            {'annotator_id': annotator_id, 'label': label, 'failure_category': failure_category}
        )) as human_labels,
        count(*) as n_human_labels,
        count_if(label = 'accepted') as n_accepted,
        count_if(label = 'uncertain') as n_uncertain,
        count_if(label = 'rejected') as n_rejected
    from human
    group by attribute_id, user_id
),
consensus as (
    select
        *,
        greatest(n_accepted, n_uncertain, n_rejected) as top_votes,
        (n_accepted = top_votes)::int + (n_uncertain = top_votes)::int
            + (n_rejected = top_votes)::int > 1 as consensus_tied
    from counts
),
labelled as (
    select
        * exclude (top_votes),
        case
            when consensus_tied then null
            when n_accepted = top_votes then 'accepted'
            when n_uncertain = top_votes then 'uncertain'
            else 'rejected'
        end as consensus_label
    from consensus
),
categories as (
    select attribute_id, failure_category, count(*) as votes
    from human
    where failure_category is not null
    group by all
),
top_category as (
    -- The category most rejecting annotators gave; none when the most-given categories tie.
    select attribute_id, failure_category
    from categories
    qualify count(*) over (partition by attribute_id, votes) = 1
        and votes = max(votes) over (partition by attribute_id)
)
select
    labelled.*,
    case when labelled.consensus_label = 'rejected' then top_category.failure_category end
        as failure_category
from labelled
left join top_category using (attribute_id)
