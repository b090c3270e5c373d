{#- The per-user models are incremental (`delete+insert` by user_id): a build rebuilds only the
    users in private.touched_users, which the models asset writes before `dbt build` (the users
    whose scrubbed rows changed since the last build; pipelines/defs/models/touched.py) and drops
    after it. Without that table, or on a full refresh, every user is rebuilt.

    touched_users_only(column): the filter a model puts on its per-user rows.
    delete_touched_users(): the model's pre-hook, which deletes the touched users' rows first, so
    that a user who no longer has rows (left the study, rows re-delivered away) loses them too;
    `delete+insert` itself only replaces the users that still have rows.
-#}

{% macro touched_users_only(column='user_id') -%}
    {%- set touched = none -%}
    {%- if is_incremental() -%}
        {%- set touched = adapter.get_relation(
            database=this.database, schema='private', identifier='touched_users') -%}
    {%- endif -%}
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
