-- Stage-1 judgments of attributes of users in the study, with the judge's kind and the source.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    pre_hook="{{ delete_touched_users() }}",
) }}
with
judgments as ( select * from {{ ref('stg_stage1_judgments') }} ),
annotators as ( select * from {{ ref('stg_annotators') }} ),
attributes as ( select * from {{ ref('stg_attributes') }} ),
users as ( select * from {{ ref('int_user_histories') }} where in_study )
select
    judgments.annotator_id,
    annotators.kind as annotator_kind,
    judgments.attribute_id,
    attributes.user_id,
    users.source_kind,
    judgments.label,
    judgments.failure_category,
    judgments.flagged
from judgments
join annotators using (annotator_id)
join attributes using (attribute_id)
join users using (user_id)
where {{ touched_users_only('attributes.user_id') }}
