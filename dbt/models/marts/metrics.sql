-- Every headline figure in one long table: what is published and printed after a run.
-- Values are rounded to 12 decimals: DuckDB's parallel sums differ in the last bits from run to
-- run, and an unchanged drop must give a byte-identical table (else every re-run is a release).
-- The pre-hook gives a build without the stage2_baselines asset (dbt alone, a fresh warehouse) an
-- empty baselines table, so `metrics` builds without baseline rows.
{{ config(pre_hook=[
    "create schema if not exists baselines",
    "create table if not exists baselines.stage2_metrics
        (stage varchar, metric varchar, subject varchar, value double, n bigint)",
]) }}
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
