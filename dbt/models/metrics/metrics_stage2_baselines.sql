-- Stage-2 retrieval baselines and the paper's reference figures, as the Dagster asset
-- stage2_baselines writes them (pipelines/baselines/). Ephemeral (a part of `metrics`, whose
-- pre-hook gives a build without that asset an empty table): a model of its own would be a dbt
-- invocation of its own, as Dagster runs it between that asset and the other metric models.
{{ config(materialized='ephemeral') }}
with baselines as ( select * from {{ source('baselines', 'stage2_metrics') }} )
select stage, metric, subject, value::double as value, n::bigint as n from baselines
