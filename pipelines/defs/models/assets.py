"""dbt models as Dagster assets: every staging, intermediate, metric and mart model of `dbt/`.

The dbt sources are the privacy stage's `scrubbed` tables, so each maps to the asset key
["scrubbed", <table>] and the graph runs scrub -> models. The whole project runs as one step in the
pool "duckdb" (limit 1), like every other step that opens the DuckDB file: dbt-duckdb holds the
file's write lock for the run, and no other process may open the file meanwhile.
"""

import functools
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, dbt_assets
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from pipelines import settings
from pipelines.defs.models import touched
from pipelines.defs.models.dbt_build import DbtBuild
from pipelines.defs.models.metrics import kappa_matrix_markdown, metrics_markdown
from pipelines.defs.models.project import (
    dbt_environment,
    dbt_project,
    keep_partial_parse,
    source_files,
)

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


def _warehouse() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(settings.duckdb_path()), config=settings.duckdb_config())


@functools.cache
def incremental_models() -> frozenset[dg.AssetKey]:
    """The asset keys of the dbt models that rebuild only the touched users."""
    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([dbt_models])
    return frozenset(
        translator.get_asset_key(node)
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
    )


def _prepare_scope() -> touched.BuildScope:
    """The users the build rebuilds (`touched`), or a full refresh; read before dbt opens the
    file."""
    project_dir = Path(dbt_project().project_dir)
    project = touched.project_fingerprint(project_dir, source_files(project_dir))
    with _warehouse() as conn:
        return touched.prepare(conn, project, settings.full_rebuild())


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=ModelsTranslator(),
    pool="duckdb",
)
def dbt_models(context: dg.AssetExecutionContext):
    """`dbt build` of the selected models: each model materializes, each dbt test is a check.
    The per-user models rebuild only the users whose scrubbed rows changed (`touched`); a full
    rebuild (`settings.full_rebuild()`) refreshes them all. The dbt unit tests check the models'
    SQL on fixed inputs, not the data: they run with the test suite
    (tests/models/test_unit_tests.py), not on every build."""
    # Dagster runs the project in several steps (around withheld_users and the baselines). The
    # step that builds the per-user models finds the touched users first; once it has built all
    # of them, their fingerprints are stored. A step that builds only some of them (a selection
    # in the UI) stores nothing: the next build rebuilds the same users again.
    selected = context.selected_asset_keys
    with dbt_environment():
        scope = _prepare_scope() if incremental_models() & selected else None
        if scope is not None:
            context.log.info(
                f"dbt build: full refresh ({scope.reason})"
                if scope.full_refresh
                else f"dbt build: the per-user models rebuild {scope.touched} touched users"
            )
        full = scope.full_refresh if scope is not None else settings.full_rebuild()
        build = DbtBuild(context, dbt_project())
        succeeded = False
        try:
            events = build.run(
                ["build", "--exclude-resource-type", "unit_test", *(["--full-refresh"] * full)]
            )
            succeeded = incremental_models() <= selected
        finally:
            keep_partial_parse(build.target_path, dbt_project())
            if scope is not None:
                with _warehouse() as conn:
                    touched.commit(conn, succeeded)
        # Each invocation gets its own target folder (~7 MB); an unattended schedule would fill
        # the disk with them. A failed build keeps its folder (raised above) for its run_results.
        shutil.rmtree(build.target_path, ignore_errors=True)
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
