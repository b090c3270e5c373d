{#- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
    edit the contract, not this file.

    The values of each closed vocabulary of the contract, by name; dbt renders
    `values: "{{ contract_values('failure_category') }}"` in a test's arguments as
    that list.
-#}
{% macro contract_values(vocabulary) -%}
    {%- set vocabularies = {
        'source_kind': ['real', 'synthetic'],
        'role': ['user', 'assistant', 'system'],
        'annotator_kind': ['human', 'llm'],
        'stage1_label': ['accepted', 'uncertain', 'rejected'],
        'failure_category': ['overgeneralization', 'task_context_confusion', 'unsupported_inference', 'hallucination', 'sensitive_inference', 'outdated', 'other'],
        'relevance_rating': ['necessary_explicit', 'necessary_implicit', 'optional', 'unnecessary', 'forbidden', 'none'],
        'presentation_order': ['generic_first', 'personalized_first']
    } -%}
    {{- return(vocabularies[vocabulary]) -}}
{%- endmacro %}
