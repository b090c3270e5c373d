-- Stage-2 headline figures: mean pairwise kappa per pair group (pairs with enough shared items and
-- a defined kappa; unweighted mean), Krippendorff's alpha per group, the share marked relevant per
-- group and per LLM judge, and each LLM judge's precision / recall / F1 against the consensus.
with
pairs as ( select * from {{ ref('metrics_stage2_kappa_pairs') }} ),
alpha as ( select * from {{ ref('metrics_stage2_alpha') }} ),
judges as ( select * from {{ ref('metrics_stage2_judges') }} ),
judgments as ( select * from {{ released('int_stage2_judgments') }} ),
votes as ( select * from {{ released('int_stage2_human_votes', by='attribute_id') }} ),
groups as ( select unnest(['human-human', 'llm-llm', 'human-llm']) as pair_group ),
long as (
    select
        'cohen_kappa_mean' as metric,
        groups.pair_group as subject,
        avg(pairs.kappa) as value,
        count(pairs.kappa) as n
    from groups
    left join pairs
        on pairs.pair_group = groups.pair_group and pairs.meets_min_shared_items
    group by groups.pair_group
    union all
    select 'krippendorff_alpha', judge_group, krippendorff_alpha, n_units from alpha
    union all
    select 'share_relevant', annotator_kind, count_if(relevant) / count(*), count(*)
    from judgments
    group by annotator_kind
    union all
    select 'share_relevant', 'consensus', avg(consensus_relevant::int), count(consensus_relevant)
    from votes
    union all
    select 'share_tied_consensus', 'human', avg(consensus_tied::int), count(*) from votes
    union all
    select 'share_relevant', judge, share_relevant, n_judgments from judges where kind = 'llm'
    union all
    select 'precision', judge, precision, n_with_consensus from judges where kind = 'llm'
    union all
    select 'recall', judge, recall, n_with_consensus from judges where kind = 'llm'
    union all
    select 'f1', judge, f1, n_with_consensus from judges where kind = 'llm'
)
select 'stage2' as stage, metric, subject, value::double as value, n::bigint as n from long
