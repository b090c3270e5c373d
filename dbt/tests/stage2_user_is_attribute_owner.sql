-- A stage-2 judgment's user_id is the user the attribute was extracted for.
-- Shown in Dagster as a check of the judgments it tests, though it reads the attributes too.
{{ config(meta={'dagster': {'ref': {'name': 'stg_stage2_judgments'}}}) }}
select judgments.annotator_id, judgments.attribute_id, judgments.prompt_id
from {{ ref('stg_stage2_judgments') }} as judgments
join {{ ref('stg_attributes') }} as attributes using (attribute_id)
where judgments.user_id <> attributes.user_id
