-- Stage-2 retrieval baselines and the paper's reference figures, as the Dagster asset
-- stage2_baselines writes them (pipelines/baselines/). The pre-hook gives a build without that
-- asset (dbt alone, a fresh warehouse) an empty table, so `metrics` builds without them.
{{ config(pre_hook=[
    "create schema if not exists baselines",
    "create table if not exists baselines.stage2_metrics
        (stage varchar, metric varchar, subject varchar, value double, n bigint)",
]) }}
with baselines as ( select * from {{ source('baselines', 'stage2_metrics') }} )
select stage, metric, subject, value::double as value, n::bigint as n from baselines
