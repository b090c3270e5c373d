{#- The per-user models are incremental (`delete+insert` by user_id): a build rebuilds only the
    users in private.touched_users, which the models asset writes before `dbt build` (the users
    whose scrubbed rows changed since the last build; pipelines/defs/models/touched.py) and drops
    after it. Without that table, or on a full refresh, every user is rebuilt.

    The bucketed models (bucketed_table.sql) rebuild the same users the same way.

    touched_users_relation(): private.touched_users, or none when the build has no such list.
    touched_users_only(column): the filter a model puts on its per-user rows.
    delete_touched_users(): the model's pre-hook, which deletes the touched users' rows first, so
    that a user who no longer has rows (left the study, rows re-delivered away) loses them too;
    `delete+insert` itself only replaces the users that still have rows.
-#}

{% macro touched_users_relation() -%}
    {{ return(adapter.get_relation(
        database=this.database, schema='private', identifier='touched_users')) }}
{%- endmacro %}

{% macro touched_users_only(column='user_id') -%}
    {%- set touched = touched_users_relation() if is_incremental() else none -%}
    {%- if touched is not none -%}
        {{ column }} in (select user_id from {{ touched }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro delete_touched_users() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ touched_users_only('user_id') }}
    {%- endif -%}
{%- endmacro %}
