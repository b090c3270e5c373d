-- Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;
-- edit the contract, not this file.
with
source as ( select * from {{ source('scrubbed', 'stage2_judgments') }} ),
renamed as (
    select
        annotator_id,
        user_id,
        attribute_id,
        prompt_id,
        relevant,
        rating as relevance_rating,
        model_suggested_relevant,
        relevance_score,
        raw_answer,
        note,
        flagged,
        cast("timestamp" as timestamptz) as judged_at,
        _drop_id as drop_id
    from source
)
select * from renamed
