-- Cohen's kappa for every pair of judges (human and LLM), on the items both labelled. Kappa is
-- 1 - n * disagreements / (n_a_no * n_b_yes + n_a_yes * n_b_no), which is (p_o - p_e) / (1 - p_e);
-- it is undefined (null; scikit-learn returns nan) when the expected agreement p_e is 1, i.e. both
-- judges gave one and the same label to every shared item.
-- Judges are few and items many, so the pairs are not formed by a self-join of the judgments (a row
-- per item and pair of its judges). Items labelled the same way by the same judges share a label
-- pattern; each pattern is counted once, paired within itself, and weighted by its item count.
with
human as ( select * from {{ released('int_stage2_human_votes', by='attribute_id') }} ),
llm as ( select * from {{ released('int_stage2_llm_labels', by='attribute_id') }} ),
items as (
    select
        list_concat(
            [
                {'judge': label.annotator_id, 'kind': 'human', 'relevant': label.relevant}
                for label in coalesce(human.human_labels, [])
            ],
            [
                {'judge': label.judge, 'kind': 'llm', 'relevant': label.relevant}
                for label in coalesce(llm.llm_labels, [])
            ]
        ) as labels
    from human
    full join llm using (attribute_id, prompt_id)
),
patterns as ( select labels, count(*) as n_items from items group by labels ),
pairs as (
    select
        a.label.judge as judge_a,
        b.label.judge as judge_b,
        a.label.kind as kind_a,
        b.label.kind as kind_b,
        sum(n_items)::bigint as n_shared,
        coalesce(sum(n_items) filter (where a.label.relevant), 0)::bigint as n_a_relevant,
        coalesce(sum(n_items) filter (where b.label.relevant), 0)::bigint as n_b_relevant,
        coalesce(sum(n_items) filter (where a.label.relevant <> b.label.relevant), 0)::bigint
            as n_disagreements
    from patterns
    cross join unnest(labels) as a(label)
    cross join unnest(labels) as b(label)
    where a.label.judge < b.label.judge
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
