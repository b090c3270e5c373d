"""A killed `pipelines run` leaves nothing behind: no process it started (the scrub's detector
workers, the guard) and no lock on the DuckDB file (dbt builds in the run's own process).

Each case starts the README's command in a subprocess, waits until the run reaches the phase,
kills the run's own process alone, and checks that every process it had started ends within
seconds and that the warehouse opens for writing. The scrub's workers run on a small drop; dbt
builds in a `--full-rebuild` of a copy of the sample run's state, so it is killed in the middle of
rebuilding every model. A run killed with SIGKILL while dbt builds is
tests/end_to_end/test_increment.py's, on an increment of the sample."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.drops import prompts_only_drop
from tests.end_to_end.conftest import pipeline_env
from tests.processes import alive, descendants, still_running

# Generous on a loaded 2-core machine: the run imports Dagster, ingests and scrubs before dbt.
REACH_PHASE_SECONDS = 300


def dbt_building(workdir: Path, started: dict[int, list[str]]) -> bool:
    """dbt has started a build: its target folder for the step is there (DBT_TARGET_PATH)."""
    return any((workdir / "dbt-target").glob("dbt_models-*"))


def detector_workers(workdir: Path, started: dict[int, list[str]]) -> bool:
    """A worker of the scrub's local cluster runs: forked from the run, so it has the run's
    command line (the only descendant that does; the guard is a program of its own)."""
    return any(argv[1:4] == ["-m", "pipelines", "run"] for argv in started.values())


def small_drop(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[list[str], dict]:
    """The sample's prompts and annotators as a new drop: ingested, then scrubbed by workers (a
    drop this small would otherwise be detected in the run's own process)."""
    drop = prompts_only_drop(tmp_path / "drops" / "prompts-only")
    return [str(drop)], {**pipeline_env(tmp_path), "PIPELINES_SCRUB_IN_PROCESS_CHARS": "0"}


def full_rebuild(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[list[str], dict]:
    """No new drop: every model of the sample run's state rebuilt in full."""
    sample = request.getfixturevalue("pipeline_run")
    shutil.copytree(sample.data_dir, tmp_path / "data", symlinks=True)
    (tmp_path / "drops").mkdir()
    return ["--full-rebuild"], {
        **pipeline_env(tmp_path),
        "PIPELINES_DROPS_DIR": str(tmp_path / "drops"),
    }


@pytest.mark.parametrize(
    ("run_on", "phase", "stop"),
    [
        (full_rebuild, dbt_building, signal.SIGTERM),
        (small_drop, detector_workers, signal.SIGKILL),
    ],
    ids=["dbt-sigterm", "detector-workers-sigkill"],
)
def test_a_killed_run_leaves_no_process_behind(tmp_path, request, run_on, phase, stop):
    args, env = run_on(tmp_path, request)
    log = (tmp_path / "run.log").open("w")
    run = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "run", *args],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    started: dict[int, list[str]] = {}
    try:
        deadline = time.monotonic() + REACH_PHASE_SECONDS
        while not phase(tmp_path, started):
            assert run.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the run never reached the phase"
            time.sleep(0.2)
            started = descendants(run.pid)
        started = descendants(run.pid)
        os.kill(run.pid, stop)
        run.wait(timeout=60)

        assert run.returncode != 0, "the run went on: " + (tmp_path / "run.log").read_text()[-3000:]
        assert not (left := still_running(started)), left
        duckdb.connect(env["DUCKDB_PATH"]).close()  # no lock is left on it
    finally:
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if run.poll() is None:
            run.kill()
        log.close()
