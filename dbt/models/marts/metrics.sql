-- Every headline figure in one long table: what is published and printed after a run.
select * from {{ ref('metrics_study') }}
union all
select * from {{ ref('metrics_stage1') }}
union all
select * from {{ ref('metrics_stage2') }}
union all
select * from {{ ref('metrics_stage3') }}
