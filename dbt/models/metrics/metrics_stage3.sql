-- Stage-3 headline figures: mean rating per group, per LLM judge and per generator, the share of
-- items whose human mean rating is at most 3 (personalized no better than generic), each LLM
-- judge's Spearman correlation with the human mean, and the explicit-mention rating gap.
with
ratings as ( select * from {{ released('int_stage3_ratings') }} ),
items as ( select * from {{ released('stage3_preferences') }} where n_human_ratings > 0 ),
judges as ( select * from {{ ref('metrics_stage3_judges') }} where kind = 'llm' ),
long as (
    select 'mean_rating' as metric, annotator_kind as subject, avg(rating) as value, count(*) as n
    from ratings
    group by annotator_kind
    union all
    select 'mean_rating', judge, mean_rating, n_ratings from judges
    union all
    select 'mean_rating_' || annotator_kind || '_by_generator', generator_model, avg(rating), count(*)
    from ratings
    group by all
    union all
    select 'share_no_better_human', 'all', avg((human_mean_rating <= 3)::int), count(*) from items
    union all
    select 'share_no_better_human', generator_model, avg((human_mean_rating <= 3)::int), count(*)
    from items
    group by generator_model
    union all
    select 'spearman_with_human_mean', judge, spearman_with_human_mean, n_spearman from judges
    union all
    select
        'explicit_mention_gap',
        annotator_kind,
        avg(rating) filter (where mentions_attribute_explicitly)
            - avg(rating) filter (where not mentions_attribute_explicitly),
        count(*)
    from ratings
    group by annotator_kind
    union all
    select 'explicit_mention_gap', judge, explicit_mention_gap, n_ratings from judges
)
select 'stage3' as stage, metric, subject, value::double as value, n::bigint as n from long
