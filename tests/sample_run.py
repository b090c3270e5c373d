"""One real run of the whole pipeline on the bundled sample, shared by the tests that read it.

It runs the README's command (`python -m pipelines run`) in a subprocess, in a temporary working
folder with its own data directory, so the tests see exactly what a maintainer's run produces:
the warehouse, the Dagster instance, the published release, the run's output and its log. The run
is made once per session (tests/build_once.py); a test that changes its state works on a copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pipelines import settings

OUTPUT_FILE = "run-output.txt"
SHARD_USERS = "5"


@dataclass(frozen=True)
class PipelineRun:
    workdir: Path
    env: dict[str, str]
    output: str

    @property
    def data_dir(self) -> Path:
        return Path(self.env["PIPELINES_DATA_DIR"])

    @property
    def warehouse(self) -> Path:
        return Path(self.env["DUCKDB_PATH"])

    @property
    def release_dir(self) -> Path:
        return Path(self.env["PIPELINES_RELEASE_DIR"])

    @property
    def logs(self) -> list[Path]:
        """The logs `pipelines run` wrote in the data folder, one per run."""
        return sorted((self.data_dir / "logs").glob("run-*.log"))


def pipeline_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPELINES_", "DUCKDB_"))}
    env.update(
        PIPELINES_DATA_DIR=str(workdir / "data"),
        DUCKDB_PATH=str(workdir / "data" / "warehouse.duckdb"),
        PIPELINES_RELEASE_DIR=str(workdir / "data" / "dataset_repo"),
        DAGSTER_HOME=str(settings.PROJECT_ROOT),
        # Each run's dbt folders (a failed build's artifacts and log) stay in its working folder,
        # beside its data, not in the project's target folder that every test's dbt reads.
        DBT_TARGET_PATH=str(workdir / "dbt-target"),
        # Shards of a few users, so that the sample's release has several per config and split,
        # as a large corpus does: an increment on it leaves some untouched (tests/end_to_end/
        # test_increment.py).
        PIPELINES_RELEASE_SHARD_USERS=SHARD_USERS,
    )
    return env


def run_sample(workdir: Path) -> None:
    """`python -m pipelines run` on the bundled sample in `workdir`; its output kept beside it."""
    completed = subprocess.run(
        [sys.executable, "-m", "pipelines", "run", str(settings.SAMPLE_DROP)],
        cwd=workdir,
        env=pipeline_env(workdir),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = completed.stdout + completed.stderr
    (workdir / OUTPUT_FILE).write_text(output)
    assert completed.returncode == 0, output[-5000:]


def sample_run(workdir: Path) -> PipelineRun:
    return PipelineRun(workdir, pipeline_env(workdir), (workdir / OUTPUT_FILE).read_text())
