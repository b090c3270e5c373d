"""Models: the dbt project under `dbt/`, run by dagster-dbt; the study's metrics tables."""

import dagster as dg

from pipelines.defs.models.assets import dbt_models
from pipelines.defs.models.project import dbt_cli_resource, dbt_project

defs = dg.Definitions(
    assets=[dbt_models],
    resources={"dbt": dbt_cli_resource(dbt_project())},
)
