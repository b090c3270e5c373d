with
source as ( select * from {{ source('scrubbed', 'conversations') }} ),
renamed as (
    select
        conversation_id,
        user_id,
        source,
        source_kind,
        -- The scrubber keeps at most the client kind (or a user agent) of the request header.
        coalesce(
            json_extract_string(header, '$.client_kind'),
            case
                when regexp_matches(
                    lower(coalesce(
                        json_extract_string(header, '$."user-agent"'),
                        json_extract_string(header, '$."User-Agent"')
                    )),
                    '^(python-requests|python-urllib|python-httpx|httpx|aiohttp|curl|wget|go-http-client|okhttp|node-fetch|axios|undici|postmanruntime|java|libwww-perl|ruby|php|insomnia|openai)'
                ) then 'programmatic'
                when coalesce(
                    json_extract_string(header, '$."user-agent"'),
                    json_extract_string(header, '$."User-Agent"')
                ) is not null then 'browser'
            end
        ) as client_kind,
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
