-- A user's history is their conversations grouped by user_id; the study's filter is applied here.
with
conversations as ( select * from {{ ref('stg_conversations') }} ),
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
)
select *, exclusion_reason is null as in_study from reasons
