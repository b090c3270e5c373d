"""Memory and time of the card's stage-2 kappa figure at the scale of a large release.

    .venv/bin/python benchmarks/release_figures.py [--items 3500000] [--results PATH]

The figure (`pipelines.release.figures.stage2_kappa`) reads every vote of the published
`stage2_relevance` files and counts, for every pair of judges, the items both answered and
agreed on. The benchmark writes a synthetic `stage2_relevance` Parquet file of `--items` items,
each with three human votes (of twelve annotators) and five LLM votes, about the stage-2 items of
a release of 500k conversations (the sample has seven per conversation), then draws the figure
in a fresh process, with DuckDB at the pipeline's memory cap, and reports its wall time and the
process's peak RSS before and after. Results go to benchmarks/results/release_figures.json
(docs/benchmarks.md shows them).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results_header import results_header, write_results  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "release_figures.json"
HUMAN_VOTES, ANNOTATORS, LLM_JUDGES = 3, 12, 5


def write_items(path: Path, items: int) -> None:
    import duckdb

    with duckdb.connect() as conn:
        conn.execute(
            f"""copy (select i as item_id,
                [{{'annotator_id': 'annotator-' || ((i * 7 + k) % {ANNOTATORS}),
                   'relevant': (i * 31 + k * 17) % 3 = 0}} for k in range({HUMAN_VOTES})]
                  as human_labels,
                [{{'judge': 'llm-' || k, 'relevant': (i * 13 + k * 5) % 2 = 0}}
                  for k in range({LLM_JUDGES})] as llm_labels
              from range({items}) as t(i)) to '{path}' (format parquet)"""
        )


def measure(path: Path) -> dict:
    """In a fresh process: draw the figure and report its time and memory."""
    import duckdb

    import pipelines  # noqa: F401  (offline settings first)
    from pipelines import settings
    from pipelines.release.figures import stage2_kappa

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as root,
        duckdb.connect(config=settings.duckdb_config()) as conn,
    ):
        figure = stage2_kappa(conn, Path(root), [path], min_shared_items=5)
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "rss_before_mb": round(before),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "figure_bytes": len(figure.png) if figure else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=3_500_000)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stage2_relevance.parquet"
        write_items(path, args.items)
        completed = subprocess.run(
            [sys.executable, __file__, "--measure", str(path)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
    figure = json.loads(completed.stdout.strip().splitlines()[-1])
    votes = args.items * (HUMAN_VOTES + LLM_JUDGES)
    print(
        f"stage-2 kappa figure, {args.items:,} items ({votes:,} votes): {figure['seconds']} s, "
        f"peak RSS {figure['peak_rss_mb']:,} MB ({figure['rss_before_mb']:,} MB before)"
    )
    write_results(
        args.results,
        results_header("release_figures.py"),
        {
            "items": args.items,
            "votes": votes,
            "judges": ANNOTATORS + LLM_JUDGES,
            "stage2_kappa": figure,
        },
    )


if __name__ == "__main__":
    main()
