"""Models: the dbt project under `dbt/`, run in the step's process and mapped to assets by
dagster-dbt; the study's metrics tables, which leave out the users the release withholds
(recorded by the `withheld_users` asset)."""

import dagster as dg

from pipelines.defs.models.assets import dbt_models
from pipelines.defs.models.withheld import withheld_users

defs = dg.Definitions(assets=[dbt_models, withheld_users])
