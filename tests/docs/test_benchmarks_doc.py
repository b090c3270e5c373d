"""docs/benchmarks.md shows the figures of the committed results files, as benchmarks/report.py
renders them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipelines import settings


def test_the_benchmark_doc_shows_the_committed_results():
    completed = subprocess.run(
        [sys.executable, "benchmarks/report.py", "--check"],
        cwd=settings.PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _piece(commit: str, size: str, seconds: float) -> dict:
    stage = {
        "stage": "scrub",
        "wall_seconds": seconds,
        "step_seconds": seconds,
        "rows": 10,
        "max_rss_mb": 1.0,
    }
    return {
        "commit": commit,
        "settings": {"scrub_workers": 2},
        "command": f"scale_benchmark.py --sizes {size}",
        "runs": {size: {"full": {"stages": [stage], "totals": {"pipeline_wall_seconds": seconds}}}},
    }


def test_scale_pieces_of_one_commit_merge_and_others_are_refused():
    from benchmarks import scale_results

    merged = scale_results.merge(
        [("a", _piece("abc1234-dirty", "50000", 10.0)), ("b", _piece("abc1234", "500000", 99.0))]
    )
    assert list(merged["sizes"]) == ["50000", "500000"]
    assert merged["sizes"]["500000"]["total_wall_s"] == 99.0
    assert merged["commit"] == "abc1234-dirty"
    assert [p["sizes"] for p in merged["pieces"]] == [["50000"], ["500000"]]

    for other in (_piece("def5678", "500000", 1.0), _piece("abc1234", "50000", 1.0)):
        with pytest.raises(scale_results.MergeError, match="^b: "):
            scale_results.merge([("a", _piece("abc1234", "50000", 10.0)), ("b", other)])
