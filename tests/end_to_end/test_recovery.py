"""A run killed halfway leaves the previous tables and release intact, no process it started,
and a re-run completes.

The killed run works on a copy of the sample run's data folder (warehouse, Dagster instance,
dataset repo), so the other end-to-end tests keep their own. Its own process alone is killed
(SIGKILL, while dbt builds), as the kernel's OOM killer would: what it started must end with it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from pipelines import settings
from tests.end_to_end.conftest import pipeline_env
from tests.processes import descendants, still_running

# dbt rewrites every model of the warehouse: a kill there is a kill in the middle of writing
# (after ingest and scrub have rewritten the drop's tables, before the release).
KILL_WHEN = "dbt build"


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


RUN = [sys.executable, "-m", "pipelines", "run", str(settings.SAMPLE_DROP)]


def test_a_killed_run_leaves_tables_and_release_intact_and_a_rerun_completes(
    pipeline_run, tmp_path
):
    workdir = tmp_path / "recovery"
    shutil.copytree(pipeline_run.data_dir, workdir / "data", symlinks=True)
    env = pipeline_env(workdir)
    warehouse, repo = Path(env["DUCKDB_PATH"]), Path(env["PIPELINES_RELEASE_DIR"])
    counts_before, release_before = table_counts(warehouse), release_state(repo)

    process = subprocess.Popen(
        RUN,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    started: dict[int, list[str]] = {}
    try:
        deadline = time.monotonic() + 1200
        # The run names its log on its first line; dbt's and Dagster's output goes there.
        first = process.stdout.readline()
        log = Path(first.rsplit(": ", 1)[-1].strip())
        while process.poll() is None and time.monotonic() < deadline:
            if log.is_file() and KILL_WHEN in log.read_text(errors="replace"):
                break
            time.sleep(0.2)
        started = descendants(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        assert not (left := still_running(started)), left
    finally:
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    assert KILL_WHEN in log.read_text(errors="replace"), first
    assert process.returncode == -signal.SIGKILL

    assert table_counts(warehouse) == counts_before
    assert release_state(repo) == release_before

    rerun = subprocess.run(RUN, cwd=workdir, env=env, capture_output=True, text=True, timeout=1800)
    assert rerun.returncode == 0, (rerun.stdout + rerun.stderr)[-5000:]
    assert "unchanged, nothing published" in rerun.stdout
    assert table_counts(warehouse) == counts_before
    assert release_state(repo) == release_before
