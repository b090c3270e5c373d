-- A user's history is their conversations grouped by user_id; the study's filter is applied here.
-- Users the study's exports name (attributes, stage-2 judgments, stage-3 items) whose history no
-- drop carries were selected upstream: the filter cannot be re-checked, so they stay in the study.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    pre_hook="{{ delete_touched_users() }}",
) }}
with
conversations as (
    select * from {{ ref('stg_conversations') }} where {{ touched_users_only() }}
),
named_users as (
    select user_id from {{ ref('stg_attributes') }} where {{ touched_users_only() }}
    union
    select user_id from {{ ref('stg_stage2_judgments') }} where {{ touched_users_only() }}
    union
    select user_id from {{ ref('stg_stage3_items') }} where {{ touched_users_only() }}
),
histories as (
    select
        user_id,
        case when bool_or(source_kind = 'real') then 'real' else 'synthetic' end as source_kind,
        list(distinct source order by source) as sources,
        count(*) as n_conversations,
        sum(n_turns)::bigint as n_turns,
        count_if(language = 'English') as n_english_conversations,
        count_if(client_kind = 'programmatic') as n_programmatic_conversations,
        count_if(client_kind is not null) as n_conversations_with_client_kind
    from conversations
    group by user_id
),
filtered as (
    select
        *,
        2 * n_english_conversations > n_conversations as is_english,
        2 * n_programmatic_conversations >= n_conversations
            and n_programmatic_conversations > 0 as is_scripted
    from histories
),
reasons as (
    select
        *,
        case
            when not is_english then 'not_english'
            when is_scripted then 'scripted'
            when n_conversations < {{ var('min_conversations') }} then 'few_conversations'
            when n_turns < {{ var('min_turns') }} then 'few_turns'
        end as exclusion_reason
    from filtered
),
without_history as (
    select
        user_id,
        'unknown' as source_kind,
        []::varchar[] as sources,
        0::bigint as n_conversations,
        0::bigint as n_turns,
        0::hugeint as n_english_conversations,
        0::hugeint as n_programmatic_conversations,
        0::hugeint as n_conversations_with_client_kind,
        null::boolean as is_english,
        null::boolean as is_scripted,
        null::varchar as exclusion_reason
    from named_users
    where user_id not in (select user_id from histories)
)
select *, true as has_history, exclusion_reason is null as in_study from reasons
union all by name
select *, false as has_history, true as in_study from without_history
