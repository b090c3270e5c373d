-- The stage-2 consensus is the strict majority of the human votes, and null exactly on a tie.
select attribute_id, prompt_id
from {{ ref('stage2_relevance') }}
where n_human_votes > 0 and not (
    (consensus_tied and consensus_relevant is null and 2 * n_relevant_votes = n_human_votes)
    or (not consensus_tied and consensus_relevant = (2 * n_relevant_votes > n_human_votes))
)
