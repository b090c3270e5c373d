-- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
-- edit the contract, not this file.
with
source as ( select * from {{ source('scrubbed', 'stage3_items') }} ),
renamed as (
    select
        item_id,
        user_id,
        prompt_id,
        generator_model,
        generic_response,
        personalized_response,
        presentation_order,
        mentions_attribute_explicitly,
        coalesce(attribute_ids, []::varchar[]) as attribute_ids,
        _drop_id as drop_id
    from source
)
select * from renamed
