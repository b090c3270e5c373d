{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    pre_hook="{{ delete_touched_users() }}",
) }}
with
items as ( select * from {{ ref('stg_stage3_items') }} ),
ratings as ( select * from {{ ref('int_stage3_item_ratings') }} )
select
    items.item_id,
    items.user_id,
    items.prompt_id,
    items.generator_model,
    items.generic_response,
    items.personalized_response,
    items.presentation_order,
    items.mentions_attribute_explicitly,
    items.attribute_ids,
    coalesce(ratings.human_ratings, []) as human_ratings,
    ratings.n_human_ratings,
    ratings.human_mean_rating,
    coalesce(ratings.llm_ratings, []) as llm_ratings,
    ratings.n_llm_ratings,
    ratings.llm_mean_rating
from items
join ratings using (item_id)
where {{ touched_users_only('items.user_id') }}
