"""Where a `pipelines run` writes: its own lines to the terminal and to the run's log, and the
output of everything else (dbt, Dagster, warnings, the processes it starts) to the log only."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from pipelines import settings


class Terminal:
    """The CLI's own lines: written to the terminal (the stdout the run started with) and to the
    run's log, where they frame dbt's and Dagster's output."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def __call__(self, text: str) -> None:
        print(text, flush=True)
        self.stream.write(text + "\n")
        self.stream.flush()


class WarningCount(logging.Handler):
    """Counts the warnings logged during a run: Python's warnings and Dagster's."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@contextlib.contextmanager
def output_to_log(log: Path) -> Iterator[Terminal]:
    """Send file descriptors 1 and 2 to `log` for the duration, so that this process's output and
    that of every process it starts (dbt, the scrub's detector workers) land there; the CLI's own
    lines still reach the terminal through the Terminal yielded. Restored however the run ends."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    terminal = os.fdopen(os.dup(saved[0]), "w", encoding=sys.stdout.encoding, errors="replace")
    try:
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        with progress_line(saved[1]):
            yield Terminal(terminal)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, log_fd):
            os.close(fd)
        terminal.close()


@contextlib.contextmanager
def progress_line(fd: int) -> Iterator[None]:
    """A long pass's progress (`pipelines.privacy.progress`) as one updating line on `fd`, when it
    is a terminal; nothing otherwise, so that a redirected run prints only its own lines."""
    if not os.isatty(fd):
        yield
        return
    from pipelines.privacy.progress import TerminalLine

    stream = os.fdopen(os.dup(fd), "w", encoding=sys.stderr.encoding, errors="replace")
    with stream, TerminalLine(stream).attached():
        yield


def run_log() -> Path:
    """The log file of a run starting now: `<data folder>/logs/run-<UTC time>.log`."""
    return settings.data_dir() / "logs" / time.strftime("run-%Y%m%dT%H%M%SZ.log", time.gmtime())
