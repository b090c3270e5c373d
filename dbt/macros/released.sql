{#- The rows of a model that belong to a user the release publishes: every user but those of
    int_withheld_users. `by` says how a row finds its user: its own `user_id`, its attribute's
    (`attribute_id`, for stage-2 items) or its item's (`item_id`, for stage-3 items). Used as a
    relation: `from {{ released('int_stage2_judgments') }}`. An anti join keeps a row without a
    user (no user to withhold) and adds no column.
-#}
{% macro released(model, by='user_id') -%}
    {%- set withheld = 'select user_id from ' ~ ref('int_withheld_users') -%}
    {%- if by == 'user_id' -%}
        (select * from {{ ref(model) }} anti join ({{ withheld }}) using (user_id))
    {%- elif by == 'attribute_id' -%}
        (select * from {{ ref(model) }} anti join (
            select attribute_id from {{ ref('stg_attributes') }}
            where user_id in ({{ withheld }})
        ) using (attribute_id))
    {%- elif by == 'item_id' -%}
        (select * from {{ ref(model) }} anti join (
            select item_id from {{ ref('stg_stage3_items') }}
            where user_id in ({{ withheld }})
        ) using (item_id))
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "released(): by is user_id, attribute_id or item_id, not " ~ by) }}
    {%- endif -%}
{%- endmacro %}
