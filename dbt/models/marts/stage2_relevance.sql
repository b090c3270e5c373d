-- Built bucket by bucket like the vote tables it joins: the items of a bucket of judgments, with
-- the same bucket of each vote table (an item's votes and labels share its key, so its bucket).
-- One query over every item would hold both label lists of every item at once.
{{ config(
    materialized='bucketed_table',
    bucket_input='int_stage2_judgments',
    bucket_key=['attribute_id', 'prompt_id'],
) }}
with
items as (
    select distinct user_id, attribute_id, prompt_id from {{ bucket_of('int_stage2_judgments') }}
),
-- The attributes of the bucket's items only: a join to every attribute would hash all of them
-- (1.7M texts at 500k conversations) for each bucket.
attributes as (
    select attribute_id, attribute from {{ ref('stg_attributes') }}
    where attribute_id in (select attribute_id from items)
),
human as ( select * from {{ same_bucket_of('int_stage2_human_votes') }} ),
llm as ( select * from {{ same_bucket_of('int_stage2_llm_labels') }} )
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
