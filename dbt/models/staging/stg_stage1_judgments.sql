-- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
-- edit the contract, not this file.
with
source as ( select * from {{ source('scrubbed', 'stage1_judgments') }} ),
renamed as (
    select
        annotator_id,
        attribute_id,
        label,
        failure_category,
        note,
        flagged,
        cast("timestamp" as timestamptz) as judged_at,
        _drop_id as drop_id
    from source
)
select * from renamed
