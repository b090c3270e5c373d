"""What `pipelines run` prints and what it logs: its own lines on the terminal, the rest (dbt,
Dagster, warnings, a traceback) in the run's log under the data folder."""

from __future__ import annotations

import os
import subprocess
import sys

# `pipelines run` in its own process, with a run that prints, starts a subprocess that prints,
# warns, then fails.
FAILING_RUN = """
import subprocess, sys, warnings
import pipelines.quality
from pipelines import cli

def failing_run(*_):
    print("printed by the run")
    subprocess.run([sys.executable, "-c", "print('printed by a subprocess')"], check=True)
    warnings.warn("a warning of the run", UserWarning, stacklevel=1)
    raise RuntimeError("the warehouse is gone\\nwith a second line")

cli.hash_key_problem = lambda: None
pipelines.quality.refresh_data_docs_index = lambda: None
cli._run_jobs = failing_run
sys.exit(cli.main(["run"]))
"""


def test_an_error_prints_one_line_naming_it_and_the_log_which_holds_everything(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPELINES_", "DUCKDB_"))}
    env["PIPELINES_DATA_DIR"] = str(tmp_path / "data")
    (tmp_path / "drops").mkdir()  # no drop: the failing run stands for the jobs
    env["PIPELINES_DROPS_DIR"] = str(tmp_path / "drops")
    completed = subprocess.run(
        [sys.executable, "-c", FAILING_RUN],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 1
    (log,) = (tmp_path / "data" / "logs").glob("run-*.log")
    assert (completed.stdout + completed.stderr).splitlines() == [
        f"log (dbt, Dagster, warnings): {log}",
        f"pipelines run failed: RuntimeError: the warehouse is gone (traceback in {log})",
        f"1 warnings: read them in {log}",
    ]
    logged = log.read_text()
    for text in ("printed by the run", "printed by a subprocess", "a warning of the run"):
        assert text in logged
    assert "Traceback" in logged and "with a second line" in logged
