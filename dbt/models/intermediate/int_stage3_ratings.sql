-- Stage-3 ratings of items of users in the study, with the judge's kind and the item's facts.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    pre_hook="{{ delete_touched_users() }}",
) }}
with
ratings as ( select * from {{ ref('stg_stage3_ratings') }} ),
annotators as ( select * from {{ ref('stg_annotators') }} ),
items as ( select * from {{ ref('stg_stage3_items') }} ),
users as ( select user_id from {{ ref('int_user_histories') }} where in_study )
select
    ratings.annotator_id,
    annotators.kind as annotator_kind,
    ratings.item_id,
    items.user_id,
    items.generator_model,
    items.mentions_attribute_explicitly,
    ratings.rating
from ratings
join annotators using (annotator_id)
join items using (item_id)
join users using (user_id)
where {{ touched_users_only('items.user_id') }}
