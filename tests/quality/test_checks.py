"""The suites as Dagster asset checks: generated from the files, blocking what follows a failure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import settings
from pipelines.defs.ingest.assets import RAW_TABLE_KEYS, raw_tables
from pipelines.defs.partitions import drop_partitions
from pipelines.defs.quality import defs as quality_defs
from pipelines.defs.quality.checks import CHECK_NAME, suite_checks
from pipelines.defs.quality.sensors import data_docs_index_sensor
from pipelines.quality import load_suites

SUITES = load_suites()
RAW_SUITES = {name: suite for name, suite in SUITES.items() if suite.schema == "raw"}
STAGE2 = RAW_TABLE_KEYS["stage2_judgments"]


@dg.asset(key=["downstream_of_stage2"], deps=[STAGE2], partitions_def=drop_partitions)
def downstream_of_stage2() -> None:
    """Stands for everything downstream of the raw table (scrubbing, models, release)."""


def test_one_check_per_warehouse_suite_severity_from_the_suite():
    specs = {
        spec.asset_key: spec for checks in quality_defs.asset_checks for spec in checks.check_specs
    }
    expected = {dg.AssetKey(s.asset_key): s for s in SUITES.values() if s.schema != "published"}
    assert set(specs) == set(expected)
    for key, spec in specs.items():
        assert spec.name == CHECK_NAME
        assert spec.blocking == expected[key].blocking
        assert expected[key].path.name in spec.description


def _drop(folder: Path, relevant: bool | None) -> Path:
    """The sample drop; with `relevant` set, every stage-2 judgment says so (a broken export)."""
    drop = folder / "drops" / ("broken-drop" if relevant is not None else "sample-drop")
    shutil.copytree(settings.SAMPLE_DROP, drop)
    if relevant is not None:
        path = drop / "stage2_judgments.jsonl"
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        path.write_text("".join(json.dumps({**r, "relevant": relevant}) + "\n" for r in lines))
    manifest = drop / "manifest.json"
    if manifest.exists():
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "drop_id": drop.name}))
    return drop


def _run(drop: Path, warehouse: DuckDBResource, instance: dg.DagsterInstance):
    instance.add_dynamic_partitions(drop_partitions.name, [drop.name])
    return dg.materialize(
        [raw_tables, downstream_of_stage2, *suite_checks(RAW_SUITES)],
        partition_key=drop.name,
        instance=instance,
        resources={"warehouse": warehouse},
        run_config={"ops": {"raw_tables": {"config": {"drops_dir": str(drop.parent)}}}},
        raise_on_error=False,
    )


def test_blocking_failure_materializes_nothing_downstream(
    tmp_path, warehouse: DuckDBResource, instance: dg.DagsterInstance
):
    result = _run(_drop(tmp_path, relevant=True), warehouse, instance)

    assert not result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert STAGE2 in materialized
    assert dg.AssetKey(["downstream_of_stage2"]) not in materialized
    assert instance.get_latest_materialization_event(dg.AssetKey(["downstream_of_stage2"])) is None

    evaluations = {e.asset_key: e for e in result.get_asset_check_evaluations()}
    failed = evaluations[STAGE2]
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    assert "raw.stage2_judgments" in failed.description
    assert "unexpected_rows_expectation" in failed.description
    assert "share of relevant labels" in failed.description
    docs = failed.metadata["data_docs"].value
    assert docs.startswith("file://") and Path(docs.removeprefix("file://")).is_file()
    # The other tables of the drop are fine: their checks pass and say so.
    assert evaluations[RAW_TABLE_KEYS["stage3_ratings"]].passed
    # What the UI shows is stored on the instance, with the reason.
    stored = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(STAGE2, CHECK_NAME)]
    )[dg.AssetCheckKey(STAGE2, CHECK_NAME)]
    assert stored.status.value == "FAILED"


def test_a_good_drop_flows_downstream(
    tmp_path, warehouse: DuckDBResource, instance: dg.DagsterInstance
):
    result = _run(_drop(tmp_path, relevant=None), warehouse, instance)

    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey(["downstream_of_stage2"]) in materialized


def test_the_data_docs_sensor_rebuilds_the_index_once_after_a_run(
    tmp_path, warehouse: DuckDBResource, instance: dg.DagsterInstance
):
    _run(_drop(tmp_path, relevant=None), warehouse, instance)
    index = settings.data_docs_dir() / "index.html"
    assert not index.exists(), "the checks render their own pages, not the index"

    first = data_docs_index_sensor(dg.build_sensor_context(instance=instance))

    assert "rebuilt" in first.skip_message
    listed = index.read_text()
    assert all(f"raw.{name}" in listed for name in ("prompts", "stage2_judgments"))
    again = data_docs_index_sensor(dg.build_sensor_context(instance=instance))
    assert "up to date" in again.skip_message
