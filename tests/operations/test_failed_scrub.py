"""A scrub that fails mid-run leaves no connection open: the next drop, processed in the same
process (as `pipelines run` does), ingests, passes its checks and scrubs."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.defs.ingest.assets import raw_tables
from pipelines.defs.partitions import drop_partitions
from pipelines.defs.privacy.assets import scrubbed_tables
from pipelines.defs.quality.checks import suite_checks
from pipelines.quality import load_suites
from tests.drops import prompts_only_drop

DROP_CHECKS = suite_checks(
    {name: s for name, s in load_suites().items() if s.schema in {"raw", "scrubbed"}}
)


def process_drop(instance, warehouse, drop: Path) -> dg.ExecuteInProcessResult:
    instance.add_dynamic_partitions(drop_partitions.name, [drop.name])
    return dg.materialize(
        [raw_tables, scrubbed_tables, *DROP_CHECKS],
        instance=instance,
        partition_key=drop.name,
        resources={"warehouse": warehouse},
        run_config={
            "ops": {
                "raw_tables": {"config": {"drops_dir": str(drop.parent)}},
                "scrubbed_tables": {"config": {"workers": 1}},
            }
        },
        raise_on_error=False,
    )


def test_a_failed_scrub_leaves_no_connection_for_the_next_drop_to_trip_on(
    instance, warehouse, warehouse_path, tmp_path, monkeypatch
):
    monkeypatch.setenv("PIPELINES_HASH_KEY", "a-test-key-of-enough-bytes")
    first, second = (prompts_only_drop(tmp_path / "drops" / name) for name in ("drop-a", "drop-b"))
    # A folder where the scrub stages its rows: the scrub fails once the warehouse is open.
    squatter = warehouse_path.with_suffix(".scrub-staging.duckdb")
    squatter.mkdir()

    failed = process_drop(instance, warehouse, first)
    assert not failed.success
    assert [e.step_key for e in failed.get_step_failure_events()] == ["scrubbed_tables"]

    squatter.rmdir()
    result = process_drop(instance, warehouse, second)
    assert result.success, [
        e.step_failure_data.error.message for e in result.get_step_failure_events()
    ]
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == sum(len(c.check_specs) for c in DROP_CHECKS) + len(
        list(scrubbed_tables.check_specs)
    )
    # The partial drop's empty tables only warn.
    assert all(e.passed or e.severity == dg.AssetCheckSeverity.WARN for e in evaluations)
    materialized = {e.asset_key.path[0] for e in result.get_asset_materialization_events()}
    assert materialized == {"raw", "scrubbed"}
