"""Time the full validation (every suite of expectations/) on the bundled sample.

    .venv/bin/python -m benchmarks.quality_sample [--keep DIR]   (from the project root)

Builds the sample once (real ingest, scrubbed stand-in, real dbt, staged release; ~1 minute, not
timed), then times each suite with Data Docs rendering, and the whole pass without Data Docs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.quality import DuckDBSource, load_suites, validate
from pipelines.release.validation import validate_published
from tests.quality.sample_build import SAMPLE_DROP_ID, build_sample


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
    build = build_sample(folder)

    started = time.perf_counter()
    timings = run_all(build.warehouse, build.release, folder / "data" / "data_docs")
    with_docs = time.perf_counter() - started
    for name, seconds in timings:
        print(f"{seconds:7.2f} s  {name}")
    started = time.perf_counter()
    run_all(build.warehouse, build.release, None)
    without_docs = time.perf_counter() - started
    print(
        f"\n{len(load_suites())} suites: {with_docs:.1f} s with Data Docs, "
        f"{without_docs:.1f} s without (Data Docs at {folder / 'data' / 'data_docs'})"
    )


if __name__ == "__main__":
    main()
