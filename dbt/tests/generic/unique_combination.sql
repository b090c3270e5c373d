{#- The columns together are a key: no two rows share the same values.

    The keys' hashes are grouped first and the full keys only where a hash repeats: grouping tens
    of millions of full string keys needs more memory than the warehouse's cap
    (PIPELINES_DUCKDB_MEMORY_LIMIT), a group of fixed-size hashes spills to disk within it. -#}
{% test unique_combination(model, columns) %}
{%- set key = columns | join(', ') -%}
with
keyed as ( select {{ key }} from {{ model }} ),
repeated as (
    select hash({{ key }}) as key_hash from keyed group by 1 having count(*) > 1
)
select {{ key }}, count(*) as n_rows
from keyed
where hash({{ key }}) in (select key_hash from repeated)
group by {{ key }}
having count(*) > 1
{% endtest %}
