with
source as ( {{ latest_per_key(source('scrubbed', 'annotators'), ['annotator_id']) }} ),
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
