-- Cohen's kappa for every pair of judges (human and LLM), on the items both labelled. Kappa is
-- 1 - n * disagreements / (n_a_no * n_b_yes + n_a_yes * n_b_no), which is (p_o - p_e) / (1 - p_e);
-- it is undefined (null; scikit-learn returns nan) when the expected agreement p_e is 1, i.e. both
-- judges gave one and the same label to every shared item.
with
judgments as (
    select annotator_id, annotator_kind, attribute_id, prompt_id, relevant
    from {{ ref('int_stage2_judgments') }}
),
pairs as (
    select
        a.annotator_id as judge_a,
        b.annotator_id as judge_b,
        a.annotator_kind as kind_a,
        b.annotator_kind as kind_b,
        count(*) as n_shared,
        count_if(a.relevant) as n_a_relevant,
        count_if(b.relevant) as n_b_relevant,
        count_if(a.relevant <> b.relevant) as n_disagreements
    from judgments as a
    join judgments as b
        on a.attribute_id = b.attribute_id
        and a.prompt_id = b.prompt_id
        and a.annotator_id < b.annotator_id
    group by all
),
expected as (
    select
        *,
        (n_shared - n_a_relevant) * n_b_relevant + n_a_relevant * (n_shared - n_b_relevant)
            as expected_disagreements_x_n
    from pairs
)
select
    judge_a,
    judge_b,
    kind_a,
    kind_b,
    case when kind_a = kind_b then kind_a || '-' || kind_b else 'human-llm' end as pair_group,
    n_shared,
    n_a_relevant,
    n_b_relevant,
    n_disagreements,
    1 - n_disagreements / n_shared as observed_agreement,
    1 - expected_disagreements_x_n / (n_shared * n_shared) as expected_agreement,
    case
        when expected_disagreements_x_n > 0
            then 1 - n_shared * n_disagreements / expected_disagreements_x_n
    end as kappa,
    n_shared >= {{ var('kappa_min_shared_items') }} as meets_min_shared_items
from expected
