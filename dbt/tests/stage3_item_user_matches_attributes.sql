-- The attributes a stage-3 personalized response used belong to the item's user.
-- Shown in Dagster as a check of the items it tests, though it reads the attributes too.
{{ config(meta={'dagster': {'ref': {'name': 'stg_stage3_items'}}}) }}
select items.item_id, used.attribute_id
from {{ ref('stg_stage3_items') }} as items,
    unnest(items.attribute_ids) as used(attribute_id)
join {{ ref('stg_attributes') }} as attributes on attributes.attribute_id = used.attribute_id
where attributes.user_id <> items.user_id
