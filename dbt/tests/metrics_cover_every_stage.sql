-- The published metrics table holds every headline figure of the brief. A warning: a release
-- cut from drops without some stage (e.g. no stage-3 ratings yet) is still a release.
{{ config(severity='warn') }}
with expected as (
    select * from (values
        ('stage1', 'share_accepted'), ('stage1', 'share_uncertain'), ('stage1', 'share_rejected'),
        ('stage1', 'problematic_gap'), ('stage2', 'cohen_kappa_mean'),
        ('stage2', 'krippendorff_alpha'), ('stage2', 'share_relevant'), ('stage2', 'precision'),
        ('stage2', 'recall'), ('stage2', 'f1'), ('stage3', 'mean_rating'),
        ('stage3', 'share_no_better_human'), ('stage3', 'spearman_with_human_mean'),
        ('stage3', 'explicit_mention_gap')
    ) as t(stage, metric)
)
select expected.*
from expected
left join {{ ref('metrics') }} as metrics using (stage, metric)
where metrics.metric is null
