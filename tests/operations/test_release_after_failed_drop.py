"""The daily release skips while the latest run of a drop failed, naming the drop, unless a
maintainer sets PIPELINES_RELEASE_WITH_FAILED_DROPS; a drop re-run successfully lets it through."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.ingest.assets import raw_tables
from pipelines.defs.jobs import drop_job
from pipelines.defs.partitions import drop_partitions
from pipelines.defs.privacy.assets import scrubbed_tables
from pipelines.defs.schedules import FAILED_DROPS_TAG, daily_release_schedule
from tests.drops import prompts_only_drop


def make_drop(drops_dir: Path, name: str, *, prompts_as_one_array: bool = False) -> Path:
    """The sample's prompts and annotators; with `prompts_as_one_array`, prompts.jsonl is one
    JSON array, every line of it quarantined: the drop fails at ingest."""
    folder = prompts_only_drop(drops_dir / name)
    if prompts_as_one_array:
        prompts = folder / "prompts.jsonl"
        lines = prompts.read_text().splitlines()
        prompts.write_text(json.dumps([json.loads(line) for line in lines]))
    return folder


@pytest.fixture
def process_drop(instance, warehouse, monkeypatch):
    """Runs the real `process_drop` job (ingest and scrub of a partition) on a temporary
    warehouse, as a sensor, backfill or UI run would."""
    monkeypatch.setenv("PIPELINES_HASH_KEY", "a-test-key-of-enough-bytes")
    monkeypatch.delenv("PIPELINES_RELEASE_WITH_FAILED_DROPS", raising=False)
    job = dg.Definitions(
        assets=[raw_tables, scrubbed_tables],
        jobs=[drop_job],
        resources={"warehouse": warehouse},
    ).resolve_job_def(drop_job.name)

    def run(folder: Path) -> dg.ExecuteInProcessResult:
        instance.add_dynamic_partitions(drop_partitions.name, [folder.name])
        return job.execute_in_process(
            instance=instance,
            partition_key=folder.name,
            run_config={
                "ops": {
                    "raw_tables": {"config": {"drops_dir": str(folder.parent)}},
                    "scrubbed_tables": {"config": {"workers": 1}},
                }
            },
            raise_on_error=False,
        )

    return run


def tick(instance: dg.DagsterInstance):
    return daily_release_schedule(dg.build_schedule_context(instance=instance))


def test_the_schedule_skips_while_a_drop_failed_unless_overridden(
    process_drop, instance, tmp_path, monkeypatch
):
    drops = tmp_path / "drops"
    assert process_drop(make_drop(drops, "drop-good")).success
    failed = process_drop(make_drop(drops, "drop-bad", prompts_as_one_array=True))
    assert not failed.success

    skipped = tick(instance)
    assert isinstance(skipped, dg.SkipReason)
    assert f"drop drop-bad: run {failed.run_id} failed" in skipped.skip_message
    assert "drop-good" not in skipped.skip_message
    assert "PIPELINES_RELEASE_WITH_FAILED_DROPS" in skipped.skip_message

    monkeypatch.setenv("PIPELINES_RELEASE_WITH_FAILED_DROPS", "true")
    overridden = tick(instance)
    assert isinstance(overridden, dg.RunRequest)
    assert overridden.tags[FAILED_DROPS_TAG] == "drop-bad"

    monkeypatch.delenv("PIPELINES_RELEASE_WITH_FAILED_DROPS")
    assert process_drop(make_drop(drops, "drop-bad")).success, "the drop, fixed, re-run"
    released = tick(instance)
    assert isinstance(released, dg.RunRequest)
    assert FAILED_DROPS_TAG not in released.tags
