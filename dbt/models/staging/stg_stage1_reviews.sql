-- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
-- edit the contract, not this file.
with
source as ( select * from {{ source('scrubbed', 'stage1_reviews') }} ),
renamed as (
    select
        annotator_id,
        user_id,
        missing_attributes,
        overall_note,
        flagged,
        cast("timestamp" as timestamptz) as reviewed_at,
        _drop_id as drop_id
    from source
)
select * from renamed
