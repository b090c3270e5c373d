-- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
-- edit the contract, not this file.
with
source as ( select * from {{ source('scrubbed', 'attributes') }} ),
renamed as (
    select
        attribute_id,
        user_id,
        attribute,
        extractor_model,
        reason,
        confidence,
        cast(evidence as struct(conversation_id varchar, turn_indexes integer[])[]) as evidence,
        coalesce(merged_from, []::varchar[]) as merged_from,
        _drop_id as drop_id
    from source
)
select * from renamed
