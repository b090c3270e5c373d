"""The processes of a `pipelines run`: the guard that stops what a run started when it ends
(killed included), the interrupt that must stop the run itself, and the tags by which a later run
tells a killed run's leftovers from one still going."""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

# Runs of this CLI carry the process that executes them, so a later invocation can tell a run
# whose process was killed from one still going.
_HOST_TAG, _PID_TAG = "pipelines/host", "pipelines/pid"
# Every process a run starts (dbt, the scrub's detector workers, what they start) inherits this
# variable from the run's environment; the run's guard stops those left when the run ends.
_RUN_MARK = "PIPELINES_RUN_MARK"
# How long the guard gives the run's processes to end on SIGTERM before it kills them.
_STOP_GRACE_SECONDS = 2.0
# How long after Python swallowed an interrupt it is sent again.
_REDELIVER_AFTER_SECONDS = 0.1


def redeliver_swallowed_interrupts() -> None:
    """Send again an interrupt (SIGTERM, Ctrl-C) that Python swallowed, so that it stops the run.

    Dagster turns both signals into an exception raised wherever the main thread is. When that is
    a callback the garbage collector runs (a weak reference's, as SQLAlchemy's are), Python only
    prints "Exception ignored" and the run goes on to its end. This hook, which Python calls
    with every such exception, sends the signal again a moment later, once the callback (and the
    hook) are over; should it land in such a callback again, it is sent again."""
    from dagster._core.errors import DagsterExecutionInterruptedError

    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt | DagsterExecutionInterruptedError):
            # Not from here: a signal handled inside this hook would be swallowed the same way.
            again = threading.Timer(_REDELIVER_AFTER_SECONDS, os.kill, (os.getpid(), signal.SIGINT))
            again.daemon = True
            again.start()
        previous(unraisable)

    sys.unraisablehook = hook


def start_guard() -> None:
    """Mark the processes this one will start, and start a guard that stops the marked processes
    left when this one ends, however it ends (killed included): orphaned detector workers would
    keep their memory, and a git command the release repository's lock.

    The guard runs in its own session, out of reach of the terminal's Ctrl-C and of signals to
    this process group. It finds the marked processes through /proc (Linux); elsewhere there is
    no guard."""
    if not Path("/proc/self/environ").exists():
        return
    mark = secrets.token_hex(8)
    subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pipelines.cli_guard import guard; "
            "guard(int(sys.argv[1]), sys.argv[2])",
            str(os.getpid()),
            mark,
        ],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        env={name: value for name, value in os.environ.items() if name != _RUN_MARK},
    )
    os.environ[_RUN_MARK] = mark


def guard(pid: int, mark: str) -> None:
    """Wait for process `pid` to end, then stop every process marked with `mark`: SIGTERM, then
    SIGKILL to those still running after the grace period."""
    try:
        ended = os.pidfd_open(pid)
    except OSError:  # gone already, or no pidfd (an old kernel, a seccomp filter)
        while os.getppid() == pid:
            time.sleep(0.5)
    else:
        select.select([ended], [], [])
        os.close(ended)
    for stop in (signal.SIGTERM, signal.SIGKILL):
        deadline = time.monotonic() + _STOP_GRACE_SECONDS
        left = _marked_processes(mark)
        for process in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process, stop)
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = _marked_processes(mark)
        if not left:
            return


def _marked_processes(mark: str) -> list[int]:
    """The running processes whose environment carries `mark` (a zombie's reads empty)."""
    entry = f"{_RUN_MARK}={mark}".encode()
    found = []
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit():
            continue
        try:
            environment = (folder / "environ").read_bytes()
        except OSError:  # ended meanwhile, or another user's
            continue
        if entry in environment.split(b"\0"):
            found.append(int(folder.name))
    return found


def process_tags() -> dict[str, str]:
    """Tags naming the process that executes a run, which fail_orphaned_runs reads."""
    return {_HOST_TAG: socket.gethostname(), _PID_TAG: str(os.getpid())}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_orphaned_runs(instance) -> list[str]:
    """Mark runs of a killed process failed and free their concurrency slots (runs tagged with
    process_tags: the `pipelines` CLI's and the scale benchmark's).

    A killed run stays STARTED and keeps its slot of the "duckdb" pool (limit 1), so every later
    run would wait for it forever.
    """
    import dagster as dg

    orphaned = []
    runs = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED],
            tags={_HOST_TAG: socket.gethostname()},
        )
    )
    for dagster_run in runs:
        if _alive(int(dagster_run.tags[_PID_TAG])):
            continue
        instance.report_run_failed(
            dagster_run, f"the pipelines process {dagster_run.tags[_PID_TAG]} ended mid-run"
        )
        instance.event_log_storage.free_concurrency_slots_for_run(dagster_run.run_id)
        orphaned.append(dagster_run.run_id)
    return orphaned
