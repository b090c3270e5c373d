-- Stage-1 figures from every human judgment of an attribute of a user in the study: the share of
-- each label by source, the share problematic (uncertain or rejected) and its real - synthetic
-- gap, and the failure categories of rejections. Users the release withholds are left out.
with
judgments as ( select * from {{ released('int_stage1_judgments') }} where annotator_kind = 'human' ),
labels as ( select unnest(['accepted', 'uncertain', 'rejected']) as label ),
sources as ( select distinct source_kind from judgments union all select 'all' ),
tagged as (
    select source_kind, label from judgments
    union all
    select 'all', label from judgments
),
label_shares as (
    select
        'share_' || labels.label as metric,
        sources.source_kind as subject,
        count_if(tagged.label = labels.label) / count(*) as value,
        count(*) as n
    from sources
    cross join labels
    join tagged using (source_kind)
    group by all
),
problematic as (
    select
        source_kind,
        count_if(label in ('uncertain', 'rejected')) / count(*) as share,
        count(*) as n
    from tagged
    group by source_kind
),
problematic_shares as (
    select 'share_problematic' as metric, source_kind as subject, share as value, n
    from problematic
    union all
    select 'problematic_gap', 'real-synthetic', real.share - synthetic.share, real.n + synthetic.n
    from problematic as real, problematic as synthetic
    where real.source_kind = 'real' and synthetic.source_kind = 'synthetic'
),
rejected as ( select failure_category from judgments where label = 'rejected' ),
category_shares as (
    select
        'share_of_rejected' as metric,
        coalesce(failure_category, 'unspecified') as subject,
        count(*) / (select count(*) from rejected) as value,
        (select count(*) from rejected) as n
    from rejected
    group by all
)
select 'stage1' as stage, metric, subject, value::double as value, n::bigint as n
from (
    select * from label_shares
    union all select * from problematic_shares
    union all select * from category_shares
)
