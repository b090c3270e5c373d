"""dbt models as Dagster assets: every staging, intermediate, metric and mart model of `dbt/`.

The dbt sources are the privacy stage's `scrubbed` tables, so each maps to the asset key
["scrubbed", <table>] and the graph runs scrub -> models. The whole project runs as one step in the
pool "duckdb" (limit 1), like every other step that opens the DuckDB file: dbt-duckdb holds the
file's write lock for the run, and no other process may open the file meanwhile.
"""

import shutil
from collections.abc import Mapping
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines import settings
from pipelines.defs.models.metrics import kappa_matrix_markdown, metrics_markdown
from pipelines.defs.models.project import dbt_environment, dbt_project, keep_partial_parse

GROUP = "models"


class ModelsTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return GROUP


# What a maintainer reads first on a metric mart's page, besides its row count.
_METRIC_VIEWS = {
    "metrics": ("figures", metrics_markdown),
    "metrics_stage2_kappa_pairs": ("kappa_matrix", kappa_matrix_markdown),
}


def _built_metadata(relations: set[str]) -> dict[str, dict[str, dg.MetadataValue]]:
    """Row count per built relation, and the metric tables, read after dbt has closed the file."""
    if not relations:
        return {}
    metadata: dict[str, dict[str, dg.MetadataValue]] = {}
    with duckdb.connect(
        str(settings.duckdb_path()), read_only=True, config=settings.duckdb_config()
    ) as conn:
        for name in relations:
            rows = conn.execute(f'select count(*) from main."{name}"').fetchone()[0]
            metadata[name] = {"dagster/row_count": dg.MetadataValue.int(rows)}
            if name in _METRIC_VIEWS:
                label, render = _METRIC_VIEWS[name]
                metadata[name][label] = dg.MetadataValue.md(render(conn))
    return metadata


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=ModelsTranslator(),
    pool="duckdb",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of the selected models: each model materializes, each dbt test is a check.
    The dbt unit tests check the models' SQL on fixed inputs, not the data: they run with the
    test suite (tests/models/test_unit_tests.py), not on every build."""
    with dbt_environment():
        invocation = dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context)
        try:
            events = list(invocation.stream())
        finally:
            keep_partial_parse(invocation.target_path, dbt_project())
        # Each invocation gets its own target folder (~7 MB); an unattended schedule would fill
        # the disk with them. A failed build keeps its folder (raised above) for its run_results.
        shutil.rmtree(invocation.target_path, ignore_errors=True)
    relations = {
        event.output_name: context.asset_key_for_output(event.output_name).path[-1]
        for event in events
        if isinstance(event, dg.Output)
    }
    built = _built_metadata(set(relations.values()))
    for event in events:
        if isinstance(event, dg.Output):
            yield event.with_metadata({**event.metadata, **built[relations[event.output_name]]})
        else:
            yield event
