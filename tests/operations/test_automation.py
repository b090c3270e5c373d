"""Unattended runs: the sensor picks up only new drops; the schedule releases only on change."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.defs.ingest.sensors import new_drop_sensor
from pipelines.defs.partitions import drop_partitions
from pipelines.defs.schedules import INPUT_FINGERPRINT_TAG, daily_release_schedule

PROMPTS = '{"prompt_id": "p%d", "prompt_text": "How do I bake bread?", "source": "lima"}\n'


def make_drop(drops_dir: Path, name: str, n: int = 1) -> Path:
    folder = drops_dir / name
    folder.mkdir(parents=True)
    (folder / "prompts.jsonl").write_text("".join(PROMPTS % i for i in range(n)))
    return folder


def tick(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    return new_drop_sensor(context)


@pytest.fixture
def drops_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "drops"
    folder.mkdir()
    monkeypatch.setenv("PIPELINES_DROPS_DIR", str(folder))
    return folder


def test_a_second_drop_is_processed_alone(drops_dir, instance, warehouse):
    make_drop(drops_dir, "drop-a")
    first = tick(instance, None)
    assert [r.partition_key for r in first.run_requests] == ["drop-a"]
    instance.add_dynamic_partitions(drop_partitions.name, ["drop-a"])

    make_drop(drops_dir, "drop-b", n=2)
    second = tick(instance, first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["drop-b"]
    assert second.dynamic_partitions_requests[0].partition_keys == ["drop-b"]

    assert tick(instance, second.cursor).run_requests == [], "nothing new, nothing requested"


def test_a_changed_drop_is_processed_again(drops_dir, instance):
    folder = make_drop(drops_dir, "drop-a")
    first = tick(instance, None)
    shutil.rmtree(folder)
    make_drop(drops_dir, "drop-a", n=3)
    again = tick(instance, first.cursor)
    assert [r.partition_key for r in again.run_requests] == ["drop-a"]
    assert again.run_requests[0].run_key != first.run_requests[0].run_key


def test_schedule_waits_for_a_first_drop(instance):
    context = dg.build_schedule_context(instance=instance)
    assert isinstance(daily_release_schedule(context), dg.SkipReason)


def test_schedule_requests_a_build_when_a_drop_changed_and_not_again(instance):
    instance.report_runless_asset_event(dg.AssetMaterialization(["scrubbed", "turns"]))
    request = daily_release_schedule(dg.build_schedule_context(instance=instance))
    assert isinstance(request, dg.RunRequest)
    fingerprint = request.tags[INPUT_FINGERPRINT_TAG]

    # A successful build with that fingerprint: the next tick cuts nothing.
    @dg.op
    def noop():
        return None

    @dg.job(name="build_release", tags={INPUT_FINGERPRINT_TAG: fingerprint})
    def build_release():
        noop()

    assert build_release.execute_in_process(instance=instance).success
    skipped = daily_release_schedule(dg.build_schedule_context(instance=instance))
    assert isinstance(skipped, dg.SkipReason)
    assert "nothing changed" in skipped.skip_message
