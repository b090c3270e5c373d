"""Time the full validation (every suite of expectations/) on the bundled sample.

    .venv/bin/python -m benchmarks.quality_sample [--keep DIR]   (from the project root)

Builds the sample once with `python -m pipelines run` into a fresh data folder (real ingest,
scrub, dbt and local release; a few minutes, not timed), then times each suite against that
warehouse and release, with Data Docs rendering, and the whole pass without Data Docs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.quality import DuckDBSource, load_suites, validate
from pipelines.release.validation import validate_published

SAMPLE_DROP_ID = settings.SAMPLE_DROP.name


def build_sample(data: Path) -> tuple[Path, Path]:
    """Run the pipeline on the bundled sample into `data`: its warehouse and its released folder
    (the local dataset repository's working tree, laid out as the release staged it)."""
    env = {**os.environ, "PIPELINES_DATA_DIR": str(data)}
    for name in ("DUCKDB_PATH", "PIPELINES_RELEASE_DIR", "PIPELINES_DROPS_DIR"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, "-m", "pipelines", "run", str(settings.SAMPLE_DROP)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return data / "warehouse.duckdb", data / "dataset_repo"


def run_all(warehouse: Path, release: Path, docs: Path | None) -> list[tuple[str, float]]:
    timings = []
    for suite in load_suites().values():
        if suite.schema == "published":
            continue
        partition = SAMPLE_DROP_ID if suite.partition_column else None
        outcome = validate(suite, DuckDBSource(str(warehouse)), partition=partition, docs_dir=docs)
        assert outcome.success, outcome.message()
        timings.append((suite.name, outcome.seconds))
    started = time.perf_counter()
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        outcomes = validate_published(release, conn, docs_dir=docs)
    timings += [(o.suite, o.seconds) for o in outcomes]
    timings.append(("(published, wall)", time.perf_counter() - started))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="build the sample here and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="quality-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PIPELINES_DATA_DIR"] = str(folder / "data")
    warehouse, release = build_sample(folder / "data")

    started = time.perf_counter()
    timings = run_all(warehouse, release, folder / "data" / "data_docs")
    with_docs = time.perf_counter() - started
    for name, seconds in timings:
        print(f"{seconds:7.2f} s  {name}")
    started = time.perf_counter()
    run_all(warehouse, release, None)
    without_docs = time.perf_counter() - started
    print(
        f"\n{len(load_suites())} suites: {with_docs:.1f} s with Data Docs, "
        f"{without_docs:.1f} s without (Data Docs at {folder / 'data' / 'data_docs'})"
    )


if __name__ == "__main__":
    main()
