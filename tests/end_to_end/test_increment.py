"""An increment on the state the sample run left: a run killed while dbt builds it leaves the
models, the release and no process behind; run again, it rebuilds only the touched users and
publishes the bytes of a full rebuild.

The sample run's data folder (warehouse, Dagster instance, dataset repo) is copied twice, and an
increment drop of new users of the sample's seed is generated. On one copy `python -m pipelines
run` processes it and its own process alone is killed (SIGKILL) while dbt builds, as the kernel's
OOM killer would: what it started must end with it, the drop it had landed must be whole and the
models and release must be those of before. The same command then completes the increment as a
scheduled run does (only the touched users rebuilt, only the changed release shards exported). On
the other copy, meanwhile, `--full-rebuild` builds every model in full and exports every file. The
two releases' Parquet files, manifests' content identities and marts must be identical, and the
incremental run must have kept files the full one rewrote.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines import settings
from pipelines.sample.generator import SampleConfig, generate
from tests.end_to_end.conftest import PipelineRun, pipeline_env
from tests.processes import descendants, still_running

INCREMENT, INCREMENT_CONVERSATIONS = "d002-increment", 40
# dbt rewrites every model it builds: a kill there is a kill in the middle of writing (after
# ingest and scrub have landed the drop, before the release).
KILL_WHEN = "dbt build"
MARTS = (
    "conversations",
    "users",
    "stage1_attributes",
    "stage2_relevance",
    "stage3_preferences",
    "prompts",
    "metrics",
)


@dataclass(frozen=True)
class Increment:
    """What the two copies went through, kept for the tests to read."""

    before: dict[str, int]  # table -> rows, as the sample run left them
    first: dict[str, str]  # the sample run's published Parquet files -> sha256
    killed_log: str
    killed_exit: int
    left_running: dict[int, list[str]]
    after_kill: dict[str, int]
    release_after_kill: tuple[str, str, str]
    release_before: tuple[str, str, str]
    incremental: PipelineRun  # the re-run after the kill, its output
    full: PipelineRun  # the full rebuild, its output


def table_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        tables = conn.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('raw', 'scrubbed', 'main') order by 1, 2"
        ).fetchall()
        count = 'select count(*) from {}."{}"'
        return {
            f"{schema}.{table}": conn.execute(count.format(schema, table)).fetchone()[0]
            for schema, table in tables
        }


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def release_state(repo: Path) -> tuple[str, str, str]:
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "tag", "--list"),
        git(repo, "status", "--porcelain"),
    )


def published(repo: Path) -> dict[str, str]:
    """sha256 of every Parquet file of the release repo's latest release."""
    return {
        path.relative_to(repo).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((repo / "data").rglob("*.parquet"))
    }


def _run_command(workdir: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines", "run", str(workdir / "drops" / INCREMENT)]


def _kill_while_dbt_builds(workdir: Path) -> tuple[str, int, dict[int, list[str]]]:
    """Start the increment's run, SIGKILL its own process once dbt builds; (its log, its exit
    status, what it had started that is still running after the grace period)."""
    process = subprocess.Popen(
        _run_command(workdir),
        cwd=workdir,
        env=pipeline_env(workdir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 1200
        # The run names its log on its first line; dbt's and Dagster's output goes there.
        log = Path(process.stdout.readline().rsplit(": ", 1)[-1].strip())
        while process.poll() is None and time.monotonic() < deadline:
            if log.is_file() and KILL_WHEN in log.read_text(errors="replace"):
                break
            time.sleep(0.2)
        started = descendants(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        left = still_running(started)
    finally:
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    return log.read_text(errors="replace"), process.returncode, left


@pytest.fixture(scope="module")
def increment(pipeline_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Increment:
    root = tmp_path_factory.mktemp("increment")
    incremental, full = root / "incremental", root / "full"
    shutil.copytree(pipeline_run.data_dir, incremental / "data", symlinks=True)
    generate(
        SampleConfig(
            out=incremental / "drops" / INCREMENT,
            conversations=INCREMENT_CONVERSATIONS,
            first_user=SampleConfig(out=settings.SAMPLE_DROP).n_users,
            shared_tables=False,
        )
    )
    shutil.copytree(incremental, full, symlinks=True)
    env = pipeline_env(incremental)
    # It names no drop: `pipelines run` processes every folder of PIPELINES_DROPS_DIR.
    full_env = {**pipeline_env(full), "PIPELINES_DROPS_DIR": str(full / "drops")}
    warehouse, repo = Path(env["DUCKDB_PATH"]), Path(env["PIPELINES_RELEASE_DIR"])
    before, release_before, first = table_counts(warehouse), release_state(repo), published(repo)

    # The copies are separate folders: the full rebuild runs beside the killed run and its re-run.
    full_run = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "run", "--full-rebuild"],
        cwd=full,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        killed_log, killed_exit, left = _kill_while_dbt_builds(incremental)
        after_kill, release_after_kill = table_counts(warehouse), release_state(repo)
        rerun = subprocess.run(
            _run_command(incremental),
            cwd=incremental,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=1800,
        )
        assert rerun.returncode == 0, rerun.stdout[-5000:]
        full_output, _ = full_run.communicate(timeout=1800)
        assert full_run.returncode == 0, full_output[-5000:]
    finally:
        if full_run.poll() is None:
            full_run.kill()
            full_run.wait()
    return Increment(
        before=before,
        first=first,
        killed_log=killed_log,
        killed_exit=killed_exit,
        left_running=left,
        after_kill=after_kill,
        release_after_kill=release_after_kill,
        release_before=release_before,
        incremental=PipelineRun(incremental, env, rerun.stdout),
        full=PipelineRun(full, full_env, full_output),
    )


def _dbt_scope(run: PipelineRun) -> str:
    """What the last run's dbt build rebuilt, as its log says."""
    return re.findall(r"dbt build: (.+)", run.logs[-1].read_text())[-1].strip()


def _files_exported(repo: Path) -> int:
    message = git(repo, "log", "-1", "--format=%B")
    return int(re.search(r"Files: (\d+) exported", message).group(1))


def _marts(run: PipelineRun) -> dict[str, list[tuple]]:
    with duckdb.connect(str(run.warehouse), read_only=True) as conn:
        return {
            mart: conn.execute(f'select * from main."{mart}" order by all').fetchall()
            for mart in MARTS
        }


def test_a_run_killed_while_dbt_builds_leaves_models_release_and_no_process(increment):
    assert KILL_WHEN in increment.killed_log
    assert increment.killed_exit == -signal.SIGKILL
    assert not increment.left_running, increment.left_running
    models = {table for table in increment.before if table.startswith("main.")}
    assert {t: increment.after_kill[t] for t in models} == {t: increment.before[t] for t in models}
    assert increment.release_after_kill == increment.release_before
    # The drop it had landed is whole: the re-run, processing it again, adds no row.
    landed = {t: n for t, n in increment.after_kill.items() if not t.startswith("main.")}
    assert landed != {t: n for t, n in increment.before.items() if not t.startswith("main.")}
    final = table_counts(increment.incremental.warehouse)
    assert {t: final[t] for t in landed} == landed


def test_the_rerun_marks_the_killed_run_failed_and_rebuilds_only_touched_users(increment):
    assert "of a killed process: marked failed" in increment.incremental.output
    assert re.fullmatch(
        r"the per-user models rebuild [1-9]\d* touched users", _dbt_scope(increment.incremental)
    )
    assert _dbt_scope(increment.full) == "full refresh (asked for)"


def test_the_increment_publishes_the_bytes_of_a_full_rebuild(increment):
    incremental, full = increment.incremental.release_dir, increment.full.release_dir
    first = increment.first
    assert len({path.split("-")[1] for path in first if "/conversations/" in path}) > 2, first
    files = published(incremental)
    assert files == published(full)
    assert set(files) > set(first), "the increment's new users are in new files"
    kept = {path for path, digest in first.items() if files.get(path) == digest}
    assert kept, "files of shards without new rows are unchanged"
    assert _files_exported(full) == len(files)
    assert _files_exported(incremental) <= len(files) - len(kept)

    incremental_manifest, full_manifest = (
        json.loads((repo / "release.json").read_text()) for repo in (incremental, full)
    )
    assert incremental_manifest["version"] == full_manifest["version"] == "1.1.0"
    assert incremental_manifest["configs"] == full_manifest["configs"]
    assert incremental_manifest["content_sha256"] == full_manifest["content_sha256"]
    assert _marts(increment.incremental) == _marts(increment.full)
