select prompt_id, prompt_text, source, source_id
from {{ ref('stg_prompts') }}
