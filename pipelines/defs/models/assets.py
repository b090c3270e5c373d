"""dbt models as Dagster assets: every staging, intermediate and mart model of `dbt/`.

The dbt sources are the privacy stage's `scrubbed` tables, so each maps to the asset key
["scrubbed", <table>] and the graph runs scrub -> models. The whole project runs as one step in the
pool "duckdb" (limit 1), like every other step that opens the DuckDB file: dbt-duckdb holds the
file's write lock for the run, and no other process may open the file meanwhile.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines import settings
from pipelines.defs.models.project import dbt_project

GROUP = "models"


class ModelsTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return GROUP


@contextmanager
def _dbt_environment() -> Iterator[None]:
    """dbt (a subprocess) reads the same DuckDB file as Dagster: DUCKDB_PATH set explicitly."""
    previous = os.environ.get("DUCKDB_PATH")
    os.environ["DUCKDB_PATH"] = str(settings.duckdb_path())
    try:
        yield
    finally:
        if previous is None:
            del os.environ["DUCKDB_PATH"]
        else:
            os.environ["DUCKDB_PATH"] = previous


def _row_counts(relations: set[str]) -> dict[str, int]:
    """Rows per built relation, read after dbt has closed the file (read-only, one connection)."""
    if not relations:
        return {}
    with duckdb.connect(str(settings.duckdb_path()), read_only=True) as conn:
        return {
            name: conn.execute(f'select count(*) from main."{name}"').fetchone()[0]
            for name in relations
        }


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=ModelsTranslator(),
    pool="duckdb",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of the selected models: each model materializes, each dbt test is a check."""
    with _dbt_environment():
        events = list(dbt.cli(["build"], context=context).stream())
    relations = {
        event.output_name: context.asset_key_for_output(event.output_name).path[-1]
        for event in events
        if isinstance(event, dg.Output)
    }
    counts = _row_counts(set(relations.values()))
    for event in events:
        if isinstance(event, dg.Output):
            rows = counts[relations[event.output_name]]
            yield event.with_metadata(
                {**event.metadata, "dagster/row_count": dg.MetadataValue.int(rows)}
            )
        else:
            yield event
