-- Krippendorff's alpha (nominal) of relevance per group of judges: humans, LLM judges, all.
-- Items with fewer than 2 labels in the group are not pairable and are left out. With values
-- 0/1, alpha = 1 - (n - 1) * sum_u [2 n_u0 n_u1 / (m_u - 1)] / (2 n_0 n_1); it is undefined (null)
-- when every pairable label is the same (n_0 * n_1 = 0).
-- An item's labels per group are counted once already, in the per-item tables (a row per item,
-- not per judgment).
with
per_kind as (
    select 'human' as annotator_kind, attribute_id, prompt_id,
        n_human_votes as m, n_relevant_votes as n_yes
    from {{ released('int_stage2_human_votes') }}
    union all
    select 'llm', attribute_id, prompt_id, n_llm_labels, n_llm_relevant
    from {{ released('int_stage2_llm_labels') }}
),
-- The group 'all' sums an item's per-kind counts, so each per-item table is read once.
grouped as (
    select annotator_kind as judge_group, m, n_yes from per_kind
    union all
    select 'all', sum(m), sum(n_yes) from per_kind group by attribute_id, prompt_id
),
units as ( select * from grouped where m >= 2 ),
totals as (
    select
        judge_group,
        count(*) as n_units,
        sum(m) as n_values,
        sum(n_yes) as n_yes,
        sum(m) - sum(n_yes) as n_no,
        sum(2 * n_yes * (m - n_yes) / (m - 1)) as disagreement
    from units
    group by judge_group
)
select
    judge_group,
    n_units,
    n_values,
    n_yes,
    n_no,
    case
        when n_yes * n_no > 0 then 1 - (n_values - 1) * disagreement / (2 * n_yes * n_no)
    end as krippendorff_alpha
from totals
