"""The header every benchmark's results file starts with: the command that wrote it, when, and the
machine it ran on, so that docs/benchmarks.md (benchmarks/report.py) can say where each figure
comes from and under what load it was measured."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        # Speeds on a shared machine depend on what else runs: the load says how much did.
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def results_header(script: str, time_key: str = "finished_at") -> dict[str, Any]:
    """`command` (as a reader would type it again), `time_key` and `machine`, for `script` run
    with this process's arguments."""
    return {
        "command": " ".join([".venv/bin/python", f"benchmarks/{script}", *sys.argv[1:]]),
        time_key: now(),
        "machine": machine(),
    }


def write_results(path: Path, header: dict[str, Any], figures: dict[str, Any]) -> None:
    """The results file: the header (`results_header`), then the benchmark's figures."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**header, **figures}, indent=2) + "\n")
    print(f"written: {path}")
