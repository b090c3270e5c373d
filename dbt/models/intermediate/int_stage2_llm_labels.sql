-- Per (attribute, prompt) item: the label of every LLM judge.
{{ config(
    materialized='bucketed_table',
    bucket_input='int_stage2_judgments',
    bucket_key=['attribute_id', 'prompt_id'],
) }}
with
llm as ( select * from {{ bucket_of('int_stage2_judgments') }} where annotator_kind = 'llm' )
select
    attribute_id,
    prompt_id,
    user_id,
    -- Sorted by the first field, the judge (one label each): list_sort is several times cheaper
    -- than an ordered aggregate.
    list_sort(list(
        {'judge': annotator_id, 'relevant': relevant, 'relevance_score': relevance_score}
    )) as llm_labels,
    count(*) as n_llm_labels,
    count_if(relevant) as n_llm_relevant
from llm
group by attribute_id, prompt_id, user_id
