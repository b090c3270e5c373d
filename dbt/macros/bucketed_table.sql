{#- A table built bucket by bucket, for models whose list() aggregates DuckDB cannot spill to disk
    (an aggregate's list states stay in memory until the query ends), or whose joins carry such
    lists for every row: one query over the whole corpus would need memory in proportion to it.

    The model reads its large input through `bucket_of('<model>')`, which keeps one hash bucket of
    `bucket_key` (DuckDB variables `bucket` and `buckets`), and other models with the same key
    through `same_bucket_of('<model>')`, which keeps the same bucket; the materialization runs the
    model's query once per bucket, each run appending its rows. A key's rows all fall in one bucket,
    so no group is split, and memory is bounded by a bucket of about PIPELINES_DBT_ROWS_PER_BUCKET
    input rows (default 500000) and, for a model that sets bucket_row_bytes, about
    PIPELINES_DBT_BYTES_PER_BUCKET bytes (default 32 MiB, sized so that a bucket of turns stays well
    under the default 256MB DuckDB cap). Each bucket scans the input's used columns again: the cost
    grows as rows x buckets, a few seconds at 50k conversations and about a minute per model at
    500k, the price of not copying the input.

    Every key belongs to one user, and the table has a `user_id` column: a build that rebuilds
    only the touched users (private.touched_users, see touched_users.sql) deletes their rows and
    runs the buckets over their input rows alone, as the per-user incremental models do. A full
    refresh, a first build or a build without the touched list rebuilds the whole table.

    config: bucket_input (the model read through bucket_of), bucket_key (its grouping columns),
    optionally bucket_row_bytes (an SQL expression: what a row of the input weighs in memory) and
    bucket_user_via (a model with the key and user_id, for an input without a user_id column).
-#}

{% macro bucketed_touched_only() -%}
    {#- Whether this build of a bucketed model rebuilds only the touched users. -#}
    {%- if not execute or should_full_refresh() or touched_users_relation() is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(
        database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {{ return(existing is not none and existing.is_table) }}
{%- endmacro %}

{% macro bucket_input_rows() -%}
    {#- The rows of the model's bucket_input the build reads: all of them, or those of the touched
        users (through bucket_user_via's key when the input has no user_id). -#}
    {%- set input = ref(config.require('bucket_input')) -%}
    {%- if not bucketed_touched_only() -%}
        {{ input }}
    {%- else -%}
        {%- set touched = 'select user_id from ' ~ touched_users_relation() -%}
        {%- set via = config.get('bucket_user_via') -%}
        {%- if via is none -%}
            (select * from {{ input }} where user_id in ({{ touched }}))
        {%- else -%}
            {%- set key = config.require('bucket_key') | join(', ') -%}
            (select * from {{ input }} where ({{ key }}) in (
                select {{ key }} from {{ ref(via) }} where user_id in ({{ touched }})))
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro in_bucket(rows) -%}
    {#- The rows of `rows` whose bucket_key falls in the bucket being built. -#}
    (select * from {{ rows }}
     where hash({{ config.get('bucket_key') | join(', ') }}) % getvariable('buckets')
         = getvariable('bucket'))
{%- endmacro %}

{% macro bucket_of(name) -%}
    {%- if config.get('materialized') == 'bucketed_table' -%}
        {{ in_bucket(bucket_input_rows()) }}
    {%- else -%}
        {{ ref(name) }}
    {%- endif -%}
{%- endmacro %}

{% macro same_bucket_of(name) -%}
    {#- The rows of another model keyed like bucket_input that fall in the bucket being built (all
        its rows outside a bucketed build). -#}
    {%- if config.get('materialized') == 'bucketed_table' -%}
        {{ in_bucket(ref(name)) }}
    {%- else -%}
        {{ ref(name) }}
    {%- endif -%}
{%- endmacro %}

{% materialization bucketed_table, adapter='duckdb' %}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set touched_only = bucketed_touched_only() -%}
    {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
    {%- set backup_relation = make_backup_relation(
        target_relation, 'table' if existing_relation is none else existing_relation.type
    ) -%}
    {#- A rebuild of the touched users writes into the table itself; a whole rebuild into an
        intermediate table that replaces it at the end. -#}
    {%- set building = target_relation if touched_only else intermediate_relation -%}

    {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
    {{ drop_relation_if_exists(load_cached_relation(backup_relation)) }}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- set row_bytes = config.get('bucket_row_bytes') or '0' -%}
    {%- set size = run_query(
        'select count(*), coalesce(sum(' ~ row_bytes ~ '), 0) from ' ~ bucket_input_rows()
    ).rows[0] -%}
    {%- set input_rows, input_bytes = size[0], size[1] -%}
    {%- set rows_per_bucket = env_var('PIPELINES_DBT_ROWS_PER_BUCKET', '500000') | int -%}
    {%- set bytes_per_bucket = env_var('PIPELINES_DBT_BYTES_PER_BUCKET', '33554432') | int -%}
    {%- set buckets = [
        1,
        (input_rows / rows_per_bucket) | round(0, 'ceil') | int,
        (input_bytes / bytes_per_bucket) | round(0, 'ceil') | int,
    ] | max -%}
    {% do log(this.identifier ~ ': ' ~ input_rows ~ ' input rows (' ~ input_bytes
              ~ ' bytes counted) in ' ~ buckets ~ ' buckets'
              ~ (', touched users only' if touched_only else ''), info=True) %}
    {% if touched_only %}
        {% call statement('delete_touched') -%}
            delete from {{ target_relation }}
            where user_id in (select user_id from {{ touched_users_relation() }})
        {%- endcall %}
    {% endif %}
    {% do run_query('set variable buckets = ' ~ buckets) %}
    {% for bucket in range(buckets) %}
        {% do run_query('set variable bucket = ' ~ bucket) %}
        {% if loop.first and not touched_only %}
            {% call statement('main') -%}
                {{ create_table_as(False, intermediate_relation, compiled_code) }}
            {%- endcall %}
        {% else %}
            {% call statement('main' if loop.first else 'bucket_' ~ bucket) -%}
                insert into {{ building }} {{ compiled_code }}
            {%- endcall %}
        {% endif %}
        {#- Commit each bucket: DuckDB holds a transaction's appends in memory until it commits,
            so one transaction over every bucket would grow with the corpus. A whole rebuild's
            rows are in the intermediate table, which becomes the model only by the rename below;
            a failed run leaves it behind, and the next run drops it first. A failed rebuild of
            touched users stores no fingerprints, so the next build rebuilds the same users. -#}
        {% do adapter.commit() %}
    {% endfor %}
    {% do run_query('reset variable bucket') %}
    {% do run_query('reset variable buckets') %}

    {% if not touched_only %}
        {% if existing_relation is not none %}
            {{ adapter.rename_relation(existing_relation, backup_relation) }}
        {% endif %}
        {{ adapter.rename_relation(intermediate_relation, target_relation) }}
    {% endif %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do persist_docs(target_relation, model) %}
    {{ adapter.commit() }}
    {{ drop_relation_if_exists(backup_relation) }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
