-- Per stage-3 item: every human and LLM rating and the human mean.
with
ratings as ( select * from {{ ref('int_stage3_ratings') }} )
select
    item_id,
    list({'annotator_id': annotator_id, 'rating': rating} order by annotator_id)
        filter (where annotator_kind = 'human') as human_ratings,
    count(*) filter (where annotator_kind = 'human') as n_human_ratings,
    avg(rating) filter (where annotator_kind = 'human') as human_mean_rating,
    list({'judge': annotator_id, 'rating': rating} order by annotator_id)
        filter (where annotator_kind = 'llm') as llm_ratings,
    count(*) filter (where annotator_kind = 'llm') as n_llm_ratings,
    avg(rating) filter (where annotator_kind = 'llm') as llm_mean_rating
from ratings
group by item_id
