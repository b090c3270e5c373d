"""A killed `pipelines run` leaves no process behind: neither the `dbt build` it started (which
would hold the DuckDB file's lock) nor the scrub's detector workers.

Each case starts the README's command on a small drop in a subprocess, waits until the process of
the phase appears among the run's descendants, kills the run's own process alone, and checks that
every process it had started ends within seconds."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines import settings
from tests.end_to_end.conftest import pipeline_env

# Generous on a loaded 2-core machine: the run imports Dagster, ingests and scrubs before dbt.
REACH_PHASE_SECONDS = 300
ALL_ENDED_SECONDS = 15


def process_info(pid: int) -> tuple[int, str, list[str]] | None:
    """(parent, state, argv) of a process, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], [a.decode(errors="replace") for a in argv if a]


def descendants(root: int) -> dict[int, list[str]]:
    """Every live process whose parent chain leads to `root`, with its argv."""
    table = {}
    for folder in Path("/proc").iterdir():
        if folder.name.isdigit() and (info := process_info(int(folder.name))):
            table[int(folder.name)] = info
    found: dict[int, list[str]] = {}
    frontier = {root}
    while frontier:
        children = {
            pid
            for pid, (parent, state, _) in table.items()
            if parent in frontier and state != "Z" and pid not in found
        }
        found.update({pid: table[pid][2] for pid in children})
        frontier = children
    return found


def is_dbt_build(argv: list[str]) -> bool:
    return any(Path(a).name == "dbt" for a in argv[:2]) and "build" in argv


def is_detector_worker(argv: list[str]) -> bool:
    """A worker of the scrub's local cluster: forked from the run, so it has the run's command
    line (the only descendant that does; dbt and the rest are programs of their own)."""
    return argv[1:4] == ["-m", "pipelines", "run"]


def alive(pid: int) -> bool:
    info = process_info(pid)
    return info is not None and info[1] != "Z"


@pytest.mark.parametrize(
    ("phase", "stop"),
    [
        (is_dbt_build, signal.SIGKILL),
        (is_dbt_build, signal.SIGTERM),
        (is_detector_worker, signal.SIGKILL),
    ],
    ids=["dbt-sigkill", "dbt-sigterm", "detector-workers-sigkill"],
)
def test_a_killed_run_leaves_no_process_behind(tmp_path, phase, stop):
    drop = tmp_path / "drops" / "prompts-only"
    drop.mkdir(parents=True)
    for name in ("prompts.jsonl", "annotators.jsonl"):
        shutil.copy(settings.SAMPLE_DROP / name, drop / name)
    log = (tmp_path / "run.log").open("w")
    run = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "run", str(drop)],
        cwd=tmp_path,
        env=pipeline_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    started: dict[int, list[str]] = {}
    try:
        deadline = time.monotonic() + REACH_PHASE_SECONDS
        while not any(phase(argv) for argv in started.values()):
            assert run.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the run never reached the phase"
            time.sleep(0.2)
            started = descendants(run.pid)
        started = descendants(run.pid)
        os.kill(run.pid, stop)
        run.wait(timeout=60)

        deadline = time.monotonic() + ALL_ENDED_SECONDS
        while (left := [pid for pid in started if alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, {pid: started[pid] for pid in left}
    finally:
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if run.poll() is None:
            run.kill()
        log.close()
