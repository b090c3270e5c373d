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
