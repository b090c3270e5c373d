"""The processes a test's run started, read from /proc (Linux)."""

from __future__ import annotations

import time
from pathlib import Path

# How long what a killed run started may take to end (the run's guard: SIGTERM, then SIGKILL).
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


def alive(pid: int) -> bool:
    info = process_info(pid)
    return info is not None and info[1] != "Z"


def still_running(started: dict[int, list[str]]) -> dict[int, list[str]]:
    """Those of `started` still alive after ALL_ENDED_SECONDS, with their argv."""
    deadline = time.monotonic() + ALL_ENDED_SECONDS
    while (left := [pid for pid in started if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return {pid: started[pid] for pid in left}
