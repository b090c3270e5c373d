{#- None of the columns holds a null; a failing row names a column and its null rows.

    One test per model instead of one per column: one scan of the model, and one dbt node and
    Dagster check instead of a dozen (each node is a fixed cost of every build; docs/benchmarks.md).
-#}
{% test not_null_columns(model, columns) %}
select column_name, null_rows
from (
    select
        {%- for column in columns %}
        count(*) filter (where {{ column }} is null) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
) unpivot (null_rows for column_name in ({{ columns | join(', ') }}))
where null_rows > 0
{% endtest %}
