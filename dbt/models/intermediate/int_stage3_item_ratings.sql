-- Per stage-3 item: every human and LLM rating and the human mean. Lists are sorted by their first
-- field, the judge (one rating each): list_sort is cheaper than an ordered aggregate.
{{ config(materialized='bucketed_table', bucket_input='int_stage3_ratings', bucket_key=['item_id']) }}
with
ratings as ( select * from {{ bucket_of('int_stage3_ratings') }} )
select
    item_id,
    user_id,
    list_sort(list({'annotator_id': annotator_id, 'rating': rating})
        filter (where annotator_kind = 'human')) as human_ratings,
    count(*) filter (where annotator_kind = 'human') as n_human_ratings,
    avg(rating) filter (where annotator_kind = 'human') as human_mean_rating,
    list_sort(list({'judge': annotator_id, 'rating': rating})
        filter (where annotator_kind = 'llm')) as llm_ratings,
    count(*) filter (where annotator_kind = 'llm') as n_llm_ratings,
    avg(rating) filter (where annotator_kind = 'llm') as llm_mean_rating
from ratings
group by item_id, user_id
