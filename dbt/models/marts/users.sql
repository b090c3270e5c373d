{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    pre_hook="{{ delete_touched_users() }}",
) }}
with
users as (
    select * from {{ ref('int_user_histories') }} where in_study and {{ touched_users_only() }}
),
attributes as (
    select user_id, count(*) as n_attributes from {{ ref('stg_attributes') }} group by user_id
),
stage2 as (
    -- One row per item already: counting them is cheaper than a distinct over the judgments.
    select user_id, count(*) as n_stage2_items
    from {{ ref('stage2_relevance') }}
    group by user_id
),
stage3 as (
    select user_id, count(distinct item_id) as n_stage3_items
    from {{ ref('int_stage3_ratings') }}
    group by user_id
)
select
    users.user_id,
    users.source_kind,
    users.sources,
    users.n_conversations,
    users.n_turns,
    users.n_english_conversations,
    coalesce(attributes.n_attributes, 0) as n_attributes,
    coalesce(stage2.n_stage2_items, 0) as n_stage2_items,
    coalesce(stage3.n_stage3_items, 0) as n_stage3_items
from users
left join attributes using (user_id)
left join stage2 using (user_id)
left join stage3 using (user_id)
