"""Measuring a child process: wall time, exit code, CPU, the peak RSS of its largest process
(`wait4`) and of its whole process tree (sampled from /proc), and the machine's load."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

SAMPLE_INTERVAL = 0.2


def _tree_rss_kb(root: int) -> int:
    """Summed VmRSS (kB) of `root` and its descendants, read from /proc."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status", "rb") as handle:
                for line in handle:
                    if line.startswith(b"VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def measure(command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run a command to its end; wall time, exit code and peak memory of it and its children."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = {"tree_kb": 0}
    done = threading.Event()
    load_before = _loadavg()
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

        def sample() -> None:
            while not done.wait(SAMPLE_INTERVAL):
                with contextlib.suppress(Exception):
                    peak["tree_kb"] = max(peak["tree_kb"], _tree_rss_kb(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait()
            raise
        finally:
            done.set()
            sampler.join()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_seconds": round(wall, 3),
        "exit_code": process.returncode,
        # Linux reports ru_maxrss in kB: the largest single process among it and its children.
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "tree_rss_mb": round(peak["tree_kb"] / 1024, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        # Other work on the machine slows the stages: the 1-minute load before and after.
        "loadavg_1min": [load_before, _loadavg()],
    }


def _loadavg() -> float:
    with open("/proc/loadavg") as handle:
        return float(handle.read().split()[0])
