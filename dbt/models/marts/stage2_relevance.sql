-- One DuckDB thread for this model: its joins hold both stage-2 label lists of every item; on two
-- threads they can overrun the 256MB cap from 50k conversations on, on one thread they spill to
-- disk and fit even a 64MB cap.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    pre_hook=["set threads = 1", "{{ delete_touched_users() }}"],
    post_hook="reset threads",
) }}
with
items as (
    select distinct user_id, attribute_id, prompt_id from {{ ref('int_stage2_judgments') }}
    where {{ touched_users_only() }}
),
attributes as ( select attribute_id, attribute from {{ ref('stg_attributes') }} ),
human as ( select * from {{ ref('int_stage2_human_votes') }} ),
llm as ( select * from {{ ref('int_stage2_llm_labels') }} )
select
    items.user_id,
    items.attribute_id,
    items.prompt_id,
    attributes.attribute,
    coalesce(human.human_labels, []) as human_labels,
    coalesce(human.n_human_votes, 0) as n_human_votes,
    coalesce(human.n_relevant_votes, 0) as n_relevant_votes,
    human.consensus_relevant,
    coalesce(human.consensus_tied, false) as consensus_tied,
    coalesce(llm.llm_labels, []) as llm_labels,
    coalesce(llm.n_llm_labels, 0) as n_llm_labels,
    coalesce(llm.n_llm_relevant, 0) as n_llm_relevant
from items
join attributes using (attribute_id)
left join human using (attribute_id, prompt_id)
left join llm using (attribute_id, prompt_id)
