-- Every headline figure in one long table: what is published and printed after a run.
-- Values are rounded to 12 decimals: DuckDB's parallel sums differ in the last bits from run to
-- run, and an unchanged drop must give a byte-identical table (else every re-run is a release).
with figures as (
    select * from {{ ref('metrics_study') }}
    union all
    select * from {{ ref('metrics_stage1') }}
    union all
    select * from {{ ref('metrics_stage2') }}
    union all
    select * from {{ ref('metrics_stage2_baselines') }}
    union all
    select * from {{ ref('metrics_stage3') }}
)
select stage, metric, subject, round(value, 12) as value, n from figures
