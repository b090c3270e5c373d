{#- Keep one row per key: a record delivered again in a later drop replaces the earlier one.
    Drops are ordered by id (drop folders are named so they sort in delivery order), then by line. -#}
{% macro latest_per_key(relation, key) -%}
select * from {{ relation }}
qualify row_number() over (
    partition by {{ key | join(', ') }}
    order by _drop_id desc, _line desc
) = 1
{%- endmacro %}
