-- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
-- edit the contract, not this file.
with
source as ( select * from {{ source('scrubbed', 'prompts') }} ),
renamed as (
    select
        prompt_id,
        prompt_text,
        source,
        source_id,
        _drop_id as drop_id
    from source
)
select * from renamed
