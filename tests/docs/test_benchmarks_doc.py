"""docs/benchmarks.md shows the figures of the committed results files, as benchmarks/report.py
renders them."""

from __future__ import annotations

import subprocess
import sys

from pipelines import settings


def test_the_benchmark_doc_shows_the_committed_results():
    completed = subprocess.run(
        [sys.executable, "benchmarks/report.py", "--check"],
        cwd=settings.PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
