-- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
-- edit the contract, not this file.
with
source as ( select * from {{ source('scrubbed', 'stage3_ratings') }} ),
renamed as (
    select
        annotator_id,
        item_id,
        rating,
        note,
        cast("timestamp" as timestamptz) as rated_at,
        _drop_id as drop_id
    from source
)
select * from renamed
