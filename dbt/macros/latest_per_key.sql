{#- Keep one row per key: a record delivered again in a later drop replaces the earlier one.
    Drops are ordered by id (drop folders are named so they sort in delivery order), then by line.
    Most keys are delivered once, so only the rows of keys delivered more than once are ranked: a
    window over every row of every drop costs about twice as much. -#}
{% macro latest_per_key(relation, key) -%}
{%- set columns = key | join(', ') -%}
with redelivered as (
    select {{ columns }} from {{ relation }} group by all having count(*) > 1
)
select * from {{ relation }} anti join redelivered using ({{ columns }})
union all by name
(
    select * from {{ relation }} semi join redelivered using ({{ columns }})
    qualify row_number() over (partition by {{ columns }} order by _drop_id desc, _line desc) = 1
)
{%- endmacro %}
