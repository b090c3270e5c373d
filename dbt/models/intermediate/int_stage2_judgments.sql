-- Stage-2 judgments of items of users in the study, with the judge's kind. The user is the
-- attribute's owner (a test checks the export's user_id agrees).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    pre_hook="{{ delete_touched_users() }}",
) }}
with
judgments as ( select * from {{ ref('stg_stage2_judgments') }} ),
annotators as ( select * from {{ ref('stg_annotators') }} ),
attributes as ( select attribute_id, user_id from {{ ref('stg_attributes') }} ),
users as ( select user_id from {{ ref('int_user_histories') }} where in_study )
select
    judgments.annotator_id,
    annotators.kind as annotator_kind,
    attributes.user_id,
    judgments.attribute_id,
    judgments.prompt_id,
    judgments.relevant,
    judgments.relevance_rating,
    judgments.relevance_score,
    judgments.flagged
from judgments
join annotators using (annotator_id)
join attributes using (attribute_id)
join users on users.user_id = attributes.user_id
where {{ touched_users_only('attributes.user_id') }}
