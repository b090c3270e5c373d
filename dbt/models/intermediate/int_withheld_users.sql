-- The users the release withholds (pipelines/release/k_anonymity.py), recorded by the Dagster
-- asset withheld_users once the marts are built; the metric models leave them out (macro
-- released). The pre-hook gives a build without that asset (dbt alone, a fresh warehouse) an
-- empty table: nobody is left out.
{{ config(pre_hook=[
    "create schema if not exists release",
    "create table if not exists release.withheld_users (user_id varchar)",
]) }}
select distinct user_id
from {{ source('release', 'withheld_users') }}
where user_id is not null
