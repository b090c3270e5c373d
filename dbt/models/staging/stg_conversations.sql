with
source as ( select * from {{ source('scrubbed', 'conversations') }} ),
renamed as (
    select
        conversation_id,
        user_id,
        source,
        source_kind,
        -- The scrubber reduces the request header to the client kind its user agent shows
        -- (pipelines/privacy/pseudonymizer.py: client_kind); the user agent itself is not kept.
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
