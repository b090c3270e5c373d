{#- Every item got the number of votes the study's design asks for (e.g. 3 human votes per
    stage-2 item). Rows failing it are kept in the marts; this test says how many. -#}
{% test expected_votes(model, column_name, expected) %}
select *
from {{ model }}
where {{ column_name }} <> {{ expected }}
{% endtest %}
