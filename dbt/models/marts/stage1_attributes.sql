{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    pre_hook="{{ delete_touched_users() }}",
) }}
with
users as ( select user_id, source_kind from {{ ref('int_user_histories') }} where in_study ),
attributes as ( select * from {{ ref('stg_attributes') }} ),
votes as ( select * from {{ ref('int_stage1_human_votes') }} )
select
    attributes.user_id,
    attributes.attribute_id,
    attributes.attribute,
    attributes.extractor_model,
    users.source_kind,
    attributes.reason,
    attributes.confidence,
    attributes.evidence,
    coalesce(votes.human_labels, []) as human_labels,
    coalesce(votes.n_human_labels, 0) as n_human_labels,
    coalesce(votes.n_accepted, 0) as n_accepted,
    coalesce(votes.n_uncertain, 0) as n_uncertain,
    coalesce(votes.n_rejected, 0) as n_rejected,
    votes.consensus_label,
    coalesce(votes.consensus_tied, false) as consensus_tied,
    votes.consensus_label in ('uncertain', 'rejected') as problematic,
    votes.failure_category
from attributes
join users using (user_id)
left join votes using (attribute_id)
where {{ touched_users_only('attributes.user_id') }}
