-- Per stage-2 judge: the share of items marked relevant, and for an LLM judge its precision,
-- recall and F1 against the human consensus (items with a tied consensus left out). A ratio whose
-- denominator is 0 (a judge with no positives, a consensus with none) is 0, as scikit-learn's
-- zero_division=0.
with
judgments as ( select * from {{ released('int_stage2_judgments') }} ),
consensus as (
    select attribute_id, prompt_id, consensus_relevant
    from {{ ref('int_stage2_human_votes') }}
    where consensus_relevant is not null
),
shares as (
    select
        annotator_id as judge,
        annotator_kind as kind,
        count(*) as n_judgments,
        count_if(relevant) / count(*) as share_relevant
    from judgments
    group by all
),
confusion as (
    select
        annotator_id as judge,
        count(*) as n_with_consensus,
        count_if(relevant and consensus_relevant) as true_positives,
        count_if(relevant and not consensus_relevant) as false_positives,
        count_if(not relevant and consensus_relevant) as false_negatives,
        count_if(not relevant and not consensus_relevant) as true_negatives
    from judgments
    join consensus using (attribute_id, prompt_id)
    where annotator_kind = 'llm'
    group by all
)
select
    shares.*,
    confusion.* exclude (judge),
    case
        when true_positives + false_positives > 0
            then true_positives / (true_positives + false_positives)
        when confusion.judge is not null then 0
    end as precision,
    case
        when true_positives + false_negatives > 0
            then true_positives / (true_positives + false_negatives)
        when confusion.judge is not null then 0
    end as recall,
    case
        when 2 * true_positives + false_positives + false_negatives > 0
            then 2 * true_positives / (2 * true_positives + false_positives + false_negatives)
        when confusion.judge is not null then 0
    end as f1
from shares
left join confusion using (judge)
