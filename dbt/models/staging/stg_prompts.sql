with
source as ( {{ latest_per_key(source('scrubbed', 'prompts'), ['prompt_id']) }} ),
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
