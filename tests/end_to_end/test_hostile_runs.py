"""`pipelines run` over hostile drops: a failed drop neither stops the others nor lets a release
through, a value holding an identifier where none belongs is quarantined and never published, an
unwritable data folder is named up front, and Dagster's storage follows the data folder, not the
working directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines import settings
from pipelines.sample.generator import SampleConfig, generate
from tests.drops import prompts_only_drop

PHONE = "415-555-0134"


@dataclass(frozen=True)
class CliRun:
    exit_code: int
    output: str
    data_dir: Path
    workdir: Path
    release_dir: Path


def hostile_drops(parent: Path) -> list[Path]:
    """Drops cut from the bundled sample: its prompts and annotators with prompts.jsonl as one
    JSON array, a copy of the whole sample holding a link, and a good one of the sample's prompts
    and annotators alone."""
    array, linked, good = parent / "prompts-array", parent / "linked", parent / "prompts-only"
    prompts_only_drop(array)
    shutil.copytree(settings.SAMPLE_DROP, linked)
    (linked / "manifest.json").unlink()  # it names the sample's drop id
    prompts = array / "prompts.jsonl"
    prompts.write_text(json.dumps([json.loads(x) for x in prompts.read_text().splitlines()]))
    (linked / "stage1_reviews.jsonl").unlink()
    (linked / "stage1_reviews.jsonl").symlink_to("/proc/self/environ")
    prompts_only_drop(good)
    return [array, linked, good]


def cli_run(tmp: Path, *args: str, data_dir: Path | None = None) -> CliRun:
    """`pipelines run` in its own process, as a maintainer runs it, from a working directory
    away from the data folder."""
    data_dir, workdir = data_dir or tmp / "data", tmp / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPELINES_", "DUCKDB_"))}
    env.update(
        PIPELINES_DATA_DIR=str(data_dir),
        DUCKDB_PATH=str(data_dir / "warehouse.duckdb"),
        PIPELINES_RELEASE_DIR=str(data_dir / "dataset_repo"),
        DBT_TARGET_PATH=str(tmp / "dbt-target"),
    )
    completed = subprocess.run(
        [sys.executable, "-m", "pipelines", "run", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return CliRun(
        completed.returncode,
        completed.stdout + completed.stderr,
        data_dir,
        workdir,
        data_dir / "dataset_repo",
    )


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    tmp = tmp_path_factory.mktemp("hostile")
    return cli_run(tmp, *map(str, hostile_drops(tmp / "drops")))


def test_a_failed_drop_fails_the_run_and_cuts_no_release(hostile_run):
    assert hostile_run.exit_code == 1
    assert "prompts.jsonl: 1 of 1 lines quarantined" in hostile_run.output
    assert "most often prompts.(record): Input should be an object" in hostile_run.output
    assert "stage1_reviews.jsonl: a symbolic link" in hostile_run.output
    assert "No release cut: 2 of 3 drops failed (prompts-array, linked)" in hostile_run.output
    assert not hostile_run.release_dir.exists()


def test_the_drops_after_a_failed_one_are_still_processed(hostile_run):
    with duckdb.connect(str(hostile_run.data_dir / "warehouse.duckdb"), read_only=True) as conn:
        landed = conn.execute(
            "select _drop_id, count(*) from raw.prompts group by 1 order by 1"
        ).fetchall()
        scrubbed = conn.execute("select count(*) from scrubbed.prompts").fetchone()[0]
    sample_prompts = len((settings.SAMPLE_DROP / "prompts.jsonl").read_text().splitlines())
    assert landed == [("prompts-only", sample_prompts)]
    assert scrubbed == sample_prompts


def test_dagster_storage_follows_the_data_folder_not_the_working_directory(hostile_run):
    home = hostile_run.data_dir / "dagster"
    assert (home / "storage").is_dir() and (home / "dagster.yaml").is_file()
    assert not (hostile_run.workdir / "data").exists()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
    assert {r.tags.get("dagster/partition") for r in runs} == {"prompts-array", "prompts-only"}


def test_an_unwritable_data_folder_is_named_before_anything_runs(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data folder's parent belongs")
    run = cli_run(tmp_path, str(settings.SAMPLE_DROP), data_dir=blocked / "data")
    assert run.exit_code == 1
    assert run.output.startswith(
        f"{blocked / 'data'}: the data folder (PIPELINES_DATA_DIR) cannot be written"
    )


def _plant(path: Path, field: str) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0][field] = f"{rows[0][field]} {PHONE}"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def planted_drop(parent: Path) -> Path:
    """A small drop of the sample's generator whose first conversation's model name and first
    stage-3 item's generator model carry a phone number."""
    drop = parent / "phone-in-model"
    generate(SampleConfig(out=drop, conversations=40))
    _plant(drop / "conversations.jsonl", "model")
    _plant(drop / "stage3_items.jsonl", "generator_model")
    return drop


@pytest.fixture(scope="module")
def maintainer_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """A maintainer's build from the drops that did not fail: the hostile drops and the planted
    one, with --release-with-failed-drops."""
    tmp = tmp_path_factory.mktemp("maintainer")
    drops = [*hostile_drops(tmp / "drops"), planted_drop(tmp / "drops")]
    return cli_run(tmp, "--release-with-failed-drops", *map(str, drops))


def test_a_maintainer_can_build_from_the_drops_that_did_not_fail(maintainer_run):
    assert maintainer_run.exit_code == 1, "a failed drop still fails the run"
    assert "No release cut" not in maintainer_run.output
    with dg.DagsterInstance.from_config(str(maintainer_run.data_dir / "dagster")) as instance:
        jobs = {r.job_name for r in instance.get_runs()}
    assert jobs == {"process_drop", "build_release"}


def test_a_phone_in_a_model_name_is_quarantined_and_never_published(maintainer_run):
    assert PHONE not in maintainer_run.output
    with dg.DagsterInstance.from_config(str(maintainer_run.data_dir / "dagster")) as instance:
        drops = {
            r.tags.get("dagster/partition"): r.status
            for r in instance.get_runs()
            if r.job_name == "process_drop"
        }
    assert drops["phone-in-model"] == dg.DagsterRunStatus.SUCCESS, "its drop goes through"
    with duckdb.connect(str(maintainer_run.data_dir / "warehouse.duckdb"), read_only=True) as conn:
        refused = conn.execute(
            "select _drop_id, _file, _line, field from raw.quarantine "
            "where reason like 'holds an identifier%' order by all"
        ).fetchall()
    assert refused == [
        ("phone-in-model", "conversations.jsonl", 1, "model"),
        ("phone-in-model", "stage3_items.jsonl", 1, "generator_model"),
    ]
    files = sorted((maintainer_run.release_dir / "data").rglob("*.parquet"))
    assert {path.parent.name for path in files} >= {
        "conversations",
        "stage3_preferences",
        "metrics",
    }
    for path in files:
        assert PHONE not in json.dumps(pq.read_table(path).to_pylist(), default=str), path
