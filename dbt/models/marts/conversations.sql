{#- A turn weighs its text plus about 100 bytes of list entry, struct and key. -#}
{{ config(
    materialized='bucketed_table',
    bucket_input='stg_turns',
    bucket_key=['conversation_id'],
    bucket_row_bytes='strlen(content) + 100',
    bucket_user_via='stg_conversations',
) }}
with
users as ( select user_id from {{ ref('int_user_histories') }} where in_study ),
conversations as ( select * from {{ ref('stg_conversations') }} ),
turns as (
    select
        conversation_id,
        -- Sorted by the first field, the turn index (unique in a conversation): list_sort is
        -- cheaper than an ordered aggregate.
        list_sort(list({'turn_index': turn_index, 'role': role, 'content': content})) as turns
    from {{ bucket_of('stg_turns') }}
    group by conversation_id
)
select
    conversations.conversation_id,
    conversations.user_id,
    conversations.source,
    conversations.source_kind,
    conversations.chat_model,
    conversations.language,
    conversations.started_at,
    conversations.toxic,
    conversations.redacted,
    conversations.n_turns,
    turns.turns
from conversations
join users using (user_id)
join turns using (conversation_id)
