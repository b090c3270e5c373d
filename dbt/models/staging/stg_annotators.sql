-- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
-- edit the contract, not this file.
with
source as ( select * from {{ source('scrubbed', 'annotators') }} ),
renamed as (
    select
        annotator_id,
        kind,
        platform,
        model_name,
        _drop_id as drop_id
    from source
)
select * from renamed
