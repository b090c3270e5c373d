"""`pipelines run` checks every path it is given before anything runs (an adapted drop's path
included): one line per bad path, exit code 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from pipelines import settings

SAMPLE = settings.PROJECT_ROOT / "samples" / "drops" / "study-sample"


def cli_run(*args: str, data_dir) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", "run", *args],
        env={**os.environ, "PIPELINES_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("bad", ["missing-folder", "not-a-drop", "a-file.jsonl"])
def test_a_bad_drop_path_stops_the_run_before_anything_runs(tmp_path, bad):
    good = tmp_path / "drops" / "study-sample"
    shutil.copytree(SAMPLE, good)
    (tmp_path / "drops" / "not-a-drop").mkdir()
    (tmp_path / "drops" / "not-a-drop" / "README.md").write_text("Invented notes.\n")
    (tmp_path / "drops" / "a-file.jsonl").write_text("{}\n")
    path = tmp_path / "drops" / bad
    started = time.monotonic()
    completed = cli_run(str(good), str(path), data_dir=tmp_path / "data")
    assert completed.returncode == 2
    assert time.monotonic() - started < 60
    (line,) = completed.stderr.splitlines()
    assert line.startswith(f"pipelines run: {path}: ")
    assert completed.stdout == ""
    assert not (tmp_path / "data").exists(), "nothing ran: no warehouse, no Dagster storage"
