{#- A table built bucket by bucket, for models whose list() aggregates DuckDB cannot spill to disk
    (an aggregate's list states stay in memory until the query ends): one query over the whole
    corpus would need memory in proportion to the corpus.

    The model reads its large input through `bucket_of('<model>')`, which keeps one hash bucket of
    `bucket_key` (DuckDB variables `bucket` and `buckets`); the materialization runs the model's
    query once per bucket, each run appending its rows. A key's rows all fall in one bucket, so no
    group is split, and memory is bounded by a bucket of about PIPELINES_DBT_ROWS_PER_BUCKET input
    rows (default 500000) and, for a model that sets bucket_row_bytes, about
    PIPELINES_DBT_BYTES_PER_BUCKET bytes (default 32 MiB, sized so that a bucket of turns stays
    well under the default 256MB DuckDB cap). Each bucket scans the input's used columns again: the
    cost grows as rows x buckets, a few seconds at 50k conversations and about a minute per model
    at 500k, the price of not copying the input.

    config: bucket_input (the model read through bucket_of), bucket_key (its grouping columns),
    and optionally bucket_row_bytes (an SQL expression: what a row of the input weighs in memory).
-#}

{% macro bucket_of(name) -%}
    {%- set input = ref(name) -%}
    {%- if config.get('materialized') == 'bucketed_table' -%}
        (select * from {{ input }}
         where hash({{ config.get('bucket_key') | join(', ') }}) % getvariable('buckets')
             = getvariable('bucket'))
    {%- else -%}
        {{ input }}
    {%- endif -%}
{%- endmacro %}

{% materialization bucketed_table, adapter='duckdb' %}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
    {%- set backup_relation = make_backup_relation(
        target_relation, 'table' if existing_relation is none else existing_relation.type
    ) -%}
    {%- set input = ref(config.require('bucket_input')) -%}

    {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
    {{ drop_relation_if_exists(load_cached_relation(backup_relation)) }}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- set row_bytes = config.get('bucket_row_bytes') or '0' -%}
    {%- set size = run_query(
        'select count(*), coalesce(sum(' ~ row_bytes ~ '), 0) from ' ~ input).rows[0] -%}
    {%- set input_rows, input_bytes = size[0], size[1] -%}
    {%- set rows_per_bucket = env_var('PIPELINES_DBT_ROWS_PER_BUCKET', '500000') | int -%}
    {%- set bytes_per_bucket = env_var('PIPELINES_DBT_BYTES_PER_BUCKET', '33554432') | int -%}
    {%- set buckets = [
        1,
        (input_rows / rows_per_bucket) | round(0, 'ceil') | int,
        (input_bytes / bytes_per_bucket) | round(0, 'ceil') | int,
    ] | max -%}
    {% do log(this.identifier ~ ': ' ~ input_rows ~ ' input rows (' ~ input_bytes
              ~ ' bytes counted) in ' ~ buckets ~ ' buckets', info=True) %}
    {% do run_query('set variable buckets = ' ~ buckets) %}
    {% for bucket in range(buckets) %}
        {% do run_query('set variable bucket = ' ~ bucket) %}
        {% if loop.first %}
            {% call statement('main') -%}
                {{ create_table_as(False, intermediate_relation, compiled_code) }}
            {%- endcall %}
        {% else %}
            {% call statement('bucket_' ~ bucket) -%}
                insert into {{ intermediate_relation }} {{ compiled_code }}
            {%- endcall %}
        {% endif %}
        {#- Commit each bucket: DuckDB holds a transaction's appends in memory until it commits,
            so one transaction over every bucket would grow with the corpus. The rows are in the
            intermediate table, which becomes the model only by the rename below; a failed run
            leaves it behind, and the next run drops it first. -#}
        {% do adapter.commit() %}
    {% endfor %}
    {% do run_query('reset variable bucket') %}
    {% do run_query('reset variable buckets') %}

    {% if existing_relation is not none %}
        {{ adapter.rename_relation(existing_relation, backup_relation) }}
    {% endif %}
    {{ adapter.rename_relation(intermediate_relation, target_relation) }}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do persist_docs(target_relation, model) %}
    {{ adapter.commit() }}
    {{ drop_relation_if_exists(backup_relation) }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
