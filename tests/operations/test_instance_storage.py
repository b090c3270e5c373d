"""The instance's event log keeps its connections open and stores what Dagster's own SQLite event
log stores: a plain SQLite instance on the same folder reads every event, materialization and
check evaluation back, the event log holds only a few databases open however many runs, and
remembers the tables it found."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import yaml

from pipelines.instance_storage import OPEN_SHARDS, PooledSqliteEventLogStorage


@dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="numbers")])
def numbers(context):
    context.log.info("three numbers")
    yield dg.Output([1, 2, 3])
    yield dg.AssetCheckResult(check_name="positive", passed=True)


def _instance(home: Path, storage: dict) -> dg.DagsterInstance:
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(
        yaml.safe_dump({"telemetry": {"enabled": False}, "storage": storage})
    )
    return dg.DagsterInstance.from_config(str(home))


def test_a_plain_sqlite_instance_reads_what_the_pooled_event_log_stored(tmp_path):
    base_dir = str(tmp_path / "storage")
    pooled = {
        "custom": {
            "module": "pipelines.instance_storage",
            "class": "PooledSqliteStorage",
            "config": {"base_dir": base_dir},
        }
    }
    with _instance(tmp_path / "pooled", pooled) as instance:
        events = instance.event_log_storage
        assert isinstance(events, PooledSqliteEventLogStorage)
        runs = [dg.materialize([numbers], instance=instance) for _ in range(OPEN_SHARDS + 2)]
        assert all(run.success for run in runs)
        assert len(events._engines) <= OPEN_SHARDS
        # Storing a check's evaluation asked for its table: found once, not looked up again.
        assert "asset_check_executions" in events._tables
        assert not events.has_table("no_such_table") and "no_such_table" not in events._tables
        stored = {run.run_id: len(instance.all_logs(run.run_id)) for run in runs}

    with _instance(tmp_path / "plain", {"sqlite": {"base_dir": base_dir}}) as plain:
        assert {run.run_id: len(plain.all_logs(run.run_id)) for run in runs} == stored
        assert min(stored.values()) > 10
        latest = plain.get_latest_materialization_event(dg.AssetKey("numbers"))
        assert latest is not None and latest.run_id == runs[-1].run_id
        check = plain.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("numbers"), "positive")]
        )
        (execution,) = check.values()
        assert execution.run_id == runs[-1].run_id
        assert execution.status.value == "SUCCEEDED"
