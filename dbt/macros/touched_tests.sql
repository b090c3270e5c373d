{#- A data test of a build that rebuilds only the touched users (private.touched_users, see
    touched_users.sql) checks the rows those users' changes can make fail, not the whole corpus
    again: every other row is as the last successful build left it, and that build's tests
    passed (a failed build stores no fingerprints, so the next one rebuilds and tests the same
    users).

    - A row-level test (not_null, accepted_values, relationships, between, ...) reads the touched
      users' rows: those with a touched user_id, or for a model without that column, those whose
      conversation, attribute or stage-3 item belongs to a touched user.
    - A uniqueness test (unique, unique_combination) reads every row sharing a key with a touched
      user's row, so a duplicate across a touched and an untouched user is still found.
    - Tests of warn severity report how many rows fail in the whole corpus, and models without a
      user (annotators, prompts, the metric tables) are small: they are read whole, as are the
      singular tests of dbt/tests/.

    A full refresh, a first build and a build without the touched list test everything.
-#}

{% macro get_where_subquery(relation) -%}
    {% do return(dbt.default__get_where_subquery(touched_test_rows(relation))) %}
{%- endmacro %}

{% macro touched_test_rows(relation) -%}
    {%- set touched = touched_users_relation() if execute else none -%}
    {%- if touched is none or (config.get('severity') or 'error') | lower != 'error' -%}
        {{ return(relation) }}
    {%- endif -%}
    {#- The tested model's columns as documented (a test checks every column is), read from the
        graph rather than the warehouse. -#}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '') -%}
    {%- if tested is none -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set columns = tested.columns.keys() | list -%}
    {%- set users = 'select user_id from ' ~ touched -%}
    {%- set via = {
        'conversation_id': 'stg_conversations',
        'attribute_id': 'stg_attributes',
        'item_id': 'stg_stage3_items',
    } -%}
    {%- set found = namespace(rows=none) -%}
    {%- if 'user_id' in columns -%}
        {%- set found.rows = 'user_id in (' ~ users ~ ')' -%}
    {%- else -%}
        {%- for key, owner in via.items() if found.rows is none and key in columns -%}
            {%- set owners = adapter.get_relation(
                database=relation.database, schema=relation.schema, identifier=owner) -%}
            {%- if owners is not none -%}
                {%- set found.rows = key ~ ' in (select ' ~ key ~ ' from ' ~ owners
                    ~ ' where user_id in (' ~ users ~ '))' -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set rows = found.rows -%}
    {%- if rows is none -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set test = model.get('test_metadata') or {} -%}
    {%- set kwargs = test.get('kwargs') or {} -%}
    {%- if test.get('name') == 'unique' -%}
        {%- set keys = [kwargs['column_name']] -%}
    {%- elif test.get('name') == 'unique_combination' -%}
        {%- set keys = kwargs['columns'] -%}
    {%- else -%}
        {%- set keys = [] -%}
    {%- endif -%}
    {%- if keys -%}
        {%- set key = keys | join(', ') -%}
        {%- set rows = '(' ~ key ~ ') in (select ' ~ key ~ ' from ' ~ relation ~ ' where '
            ~ rows ~ ')' -%}
    {%- endif -%}
    {{ return('(select * from ' ~ relation ~ ' where ' ~ rows ~ ') as touched_rows') }}
{%- endmacro %}
