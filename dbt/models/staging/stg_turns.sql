-- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
-- edit the contract, not this file.
with
source as ( select * from {{ source('scrubbed', 'turns') }} ),
renamed as (
    select
        conversation_id,
        turn_index,
        role,
        content,
        language,
        cast("timestamp" as timestamptz) as sent_at,
        _drop_id as drop_id
    from source
)
select * from renamed
