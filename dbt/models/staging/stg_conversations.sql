-- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
-- edit the contract, not this file.
with
source as ( select * from {{ source('scrubbed', 'conversations') }} ),
renamed as (
    select
        conversation_id,
        user_id,
        source,
        source_kind,
        json_extract_string(header, '$.client_kind') as client_kind,
        country,
        state,
        cast("timestamp" as timestamptz) as started_at,
        model as chat_model,
        language,
        toxic,
        redacted,
        n_turns,
        _drop_id as drop_id
    from source
)
select * from renamed
