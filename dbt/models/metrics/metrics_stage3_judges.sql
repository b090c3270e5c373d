-- Per stage-3 judge: mean rating, the rating gap between items whose personalized response
-- mentions an attribute explicitly and items where it does not, and for an LLM judge the Spearman
-- correlation of its ratings with the human mean rating of the same items (average ranks for
-- ties; null when either side is constant, where SciPy returns nan).
with
ratings as ( select * from {{ released('int_stage3_ratings') }} ),
items as ( select * from {{ ref('int_stage3_item_ratings') }} where n_human_ratings > 0 ),
paired as (
    select ratings.annotator_id as judge, ratings.rating as x, items.human_mean_rating as y
    from ratings
    join items using (item_id)
    where ratings.annotator_kind = 'llm'
),
ranked as (
    select
        judge,
        rank() over (partition by judge order by x)
            + (count(*) over (partition by judge, x) - 1) / 2 as rank_x,
        rank() over (partition by judge order by y)
            + (count(*) over (partition by judge, y) - 1) / 2 as rank_y
    from paired
),
spearman as (
    select
        judge,
        count(*) as n_spearman,
        case when var_pop(rank_x) > 0 and var_pop(rank_y) > 0 then corr(rank_x, rank_y) end
            as spearman_with_human_mean
    from ranked
    group by judge
),
means as (
    select
        annotator_id as judge,
        annotator_kind as kind,
        count(*) as n_ratings,
        avg(rating) as mean_rating,
        avg(rating) filter (where mentions_attribute_explicitly) as mean_rating_explicit,
        avg(rating) filter (where not mentions_attribute_explicitly) as mean_rating_implicit
    from ratings
    group by all
)
select
    means.*,
    mean_rating_explicit - mean_rating_implicit as explicit_mention_gap,
    spearman.n_spearman,
    spearman.spearman_with_human_mean
from means
left join spearman using (judge)
