-- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
-- edit the contract, not this file.
with
source as ( select * from {{ source('scrubbed', 'expected_behaviors') }} ),
renamed as (
    select
        user_id,
        attribute_id,
        prompt_id,
        generator_model,
        explicit_behavior,
        implicit_behavior,
        _drop_id as drop_id
    from source
)
select * from renamed
