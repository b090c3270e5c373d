"""The scale benchmark's figures: totals per pass, the results file's shape, the printed summary.

The results file (`benchmarks/results/scale.json`) starts with what a reader compares first:

    {"commit": ..., "machine": {...},
     "sizes": {"<n>": {"total_wall_s": ..., "stages": {"<stage>": {"wall_s", "peak_rss_mb",
                                                                   "rows_per_s"}}}},
     "increment": {"size": <conversations added>, "of_size": <n>, "share_of_full": ...,
                   "total_wall_s": ..., "stages": {...}},
     ...}

`total_wall_s` is the pipeline's wall time (the six stages, without generating the drop),
`peak_rss_mb` the largest single process of the stage (with its reaped children), `rows_per_s`
the stage's rows over its Dagster step time, and `share_of_full` the increment's pipeline wall
time over the full run's. Everything else measured (per-stage CPU, tree memory, steps, timers,
dbt's timings, probes) stays under `runs.<n>.full` and `runs.<n>.increment`.

A size too large for one sitting is measured on its own (`--sizes 500000 --results piece.json`,
resumable with `--resume-from`) and merged into the results file with the pieces measured at the
same commit and settings:

    .venv/bin/python benchmarks/scale_results.py merge benchmarks/results/scale.json piece.json

`increment` is then the largest size's; `increments` has every size's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

STAGES = ("ingest", "validate_raw", "scrub", "model", "validate_marts", "release")
# The project's job that runs each stage (pipelines/defs/jobs.py), and by which the increment is
# split: the drop sensor's job ingests, checks and scrubs one drop (a partition); the daily
# schedule's job rebuilds everything downstream.
JOB_STAGES = {
    "process_drop": ("ingest", "validate_raw", "scrub"),
    "build_release": ("model", "validate_marts", "release"),
}


def rows_per_second(row: dict[str, Any]) -> float | None:
    """A stage's rows over its own work: Dagster's step time, or the wall time of the generator
    (which is no Dagster run)."""
    seconds = row.get("step_seconds") or row.get("wall_seconds")
    rows = row.get("rows")
    return rows / seconds if rows and seconds else None


def totals(stages: list[dict[str, Any]]) -> dict[str, float]:
    """Sums over the stage processes; a pass run in one process counts that process once."""
    whole = [s for s in stages if s.get("one_process")]
    measured = whole or [s for s in stages if s["stage"] != "generate"]
    generate = [s for s in stages if s["stage"] == "generate"]
    return {
        "wall_seconds": round(sum(s["wall_seconds"] for s in measured + generate), 1),
        "pipeline_wall_seconds": round(sum(s["wall_seconds"] for s in measured), 1),
        "step_seconds": round(sum(s["step_seconds"] or 0 for s in measured), 1),
        "cpu_seconds": round(sum(s["cpu_seconds"] for s in measured), 1),
        "max_rss_mb": max(s["max_rss_mb"] for s in measured + generate),
        "tree_rss_mb": max(s["tree_rss_mb"] for s in measured + generate),
    }


def job_shares(stages: list[dict[str, Any]], full_totals: dict[str, float]) -> dict[str, Any]:
    """The increment's wall time per job of the product, and its share of the full run's.

    A stage's wall time in one process is its Dagster run plus, for the first, the definitions'
    load; what the process spends starting and ending is in neither job."""
    by_stage = {s["stage"]: s["wall_seconds"] for s in stages}
    shares = {}
    for job, names in JOB_STAGES.items():
        seconds = round(sum(by_stage.get(name, 0.0) for name in names), 1)
        shares[job] = {
            "stages": list(names),
            "wall_seconds": seconds,
            "share_of_full_wall": round(seconds / full_totals["pipeline_wall_seconds"], 3)
            if full_totals["pipeline_wall_seconds"]
            else None,
        }
    return shares


def relative_to_full(increment: dict[str, Any], full: dict[str, Any]) -> dict[str, Any]:
    """The increment's totals as shares of the full run's."""
    return {
        key: round(increment["totals"][key] / full["totals"][key], 3)
        if full["totals"][key]
        else None
        for key in ("wall_seconds", "pipeline_wall_seconds", "step_seconds", "cpu_seconds")
    }


def _pass_summary(run: dict[str, Any]) -> dict[str, Any]:
    stages = {row["stage"]: row for row in run["stages"] if row["stage"] in STAGES}
    return {
        "total_wall_s": run["totals"]["pipeline_wall_seconds"],
        "stages": {
            name: {
                "wall_s": round(row["wall_seconds"], 1),
                "peak_rss_mb": row["max_rss_mb"],
                "rows_per_s": None if rows_per_second(row) is None else round(rows_per_second(row)),
            }
            for name, row in stages.items()
        },
    }


def shaped(results: dict[str, Any]) -> dict[str, Any]:
    """The results file: commit, machine, the summary per size and of the increment, then the
    rest of `results` (header, versions, settings, `runs` with every figure measured)."""
    sizes: dict[str, Any] = {}
    increments: dict[str, Any] = {}
    for size, entry in sorted(results.get("runs", {}).items(), key=lambda item: int(item[0])):
        if "totals" not in entry.get("full", {}):
            continue
        sizes[size] = _pass_summary(entry["full"])
        run = entry.get("increment")
        if run and "totals" in run:
            increments[size] = {
                "size": run["conversations"],
                "of_size": int(size),
                "share_of_full": run["relative_to_full"]["pipeline_wall_seconds"],
                **_pass_summary(run),
            }
    head = {
        "commit": results.get("commit"),
        "machine": results.get("machine"),
        "sizes": sizes,
        "increment": increments[max(increments, key=int)] if increments else None,
        "increments": {size: i["share_of_full"] for size, i in increments.items()},
    }
    return {**head, **{k: v for k, v in results.items() if k not in head}}


# -- printing ------------------------------------------------------------------------------------

_COLUMNS = (
    "size",
    "stage",
    "rows",
    "wall s",
    "step s",
    "cpu s",
    "rows/s",
    "conv/s",
    "max RSS MB",
    "tree RSS MB",
)


def print_header() -> None:
    print(
        f"{_COLUMNS[0]:>8} {_COLUMNS[1]:<15} {_COLUMNS[2]:>10} {_COLUMNS[3]:>8} "
        f"{_COLUMNS[4]:>8} {_COLUMNS[5]:>8} {_COLUMNS[6]:>9} {_COLUMNS[7]:>8} "
        f"{_COLUMNS[8]:>10} {_COLUMNS[9]:>11}",
        flush=True,
    )


def print_row(label: str, row: dict[str, Any], conversations: int) -> None:
    rate = rows_per_second(row)
    seconds = row.get("step_seconds") or row.get("wall_seconds")
    shown_rate = f"{rate:9.0f}" if rate is not None else f"{'':>9}"
    conv = f"{conversations / seconds:8.1f}" if rate is not None else f"{'':>8}"
    step = f"{row['step_seconds']:8.1f}" if row.get("step_seconds") is not None else f"{'':>8}"
    cpu = f"{row['cpu_seconds']:8.1f}" if row.get("cpu_seconds") is not None else f"{'':>8}"
    rows = row.get("rows")
    print(
        f"{label:>8} {row['stage']:<15} {rows if rows is not None else '':>10} "
        f"{row['wall_seconds']:8.1f} {step} {cpu} {shown_rate} {conv} "
        f"{row['max_rss_mb']:10.0f} {row['tree_rss_mb']:11.0f}"
        + (f"  {row['note']}" if row.get("note") else ""),
        flush=True,
    )


def relative_row(increment: dict[str, Any]) -> dict[str, Any]:
    """The increment's totals as a printed row, with its shares of the full run."""
    rel = increment["relative_to_full"]
    return {
        "stage": "TOTAL (increment / full)",
        "wall_seconds": increment["totals"]["pipeline_wall_seconds"],
        "step_seconds": increment["totals"]["step_seconds"],
        "cpu_seconds": increment["totals"]["cpu_seconds"],
        "rows": None,
        "max_rss_mb": increment["totals"]["max_rss_mb"],
        "tree_rss_mb": increment["totals"]["tree_rss_mb"],
        "note": f"{rel['pipeline_wall_seconds']:.1%} of full wall, "
        f"{rel['step_seconds']:.1%} of full step, {rel['cpu_seconds']:.1%} of full cpu",
    }


def _print_totals(runs: dict[str, Any]) -> None:
    print("\nTotals per size (pipeline stages, without generate):")
    for size, entry in runs.items():
        if "totals" not in entry.get("full", {}):
            continue
        t = entry["full"]["totals"]
        print(
            f"  {size:>8}: wall {t['pipeline_wall_seconds']:.1f} s, steps "
            f"{t['step_seconds']:.1f} s, cpu {t['cpu_seconds']:.1f} s, generate "
            f"{entry['full']['stages'][0]['wall_seconds']:.1f} s, largest process "
            f"{t['max_rss_mb']:.0f} MB, largest tree {t['tree_rss_mb']:.0f} MB"
        )
        if "increment" in entry:
            inc = entry["increment"]
            rel = inc["relative_to_full"]
            print(
                f"  {'+' + str(inc['conversations']):>8}: wall "
                f"{inc['totals']['pipeline_wall_seconds']:.1f} s "
                f"({rel['pipeline_wall_seconds']:.1%} of full), steps "
                f"{inc['totals']['step_seconds']:.1f} s ({rel['step_seconds']:.1%} of full), "
                f"cpu {inc['totals']['cpu_seconds']:.1f} s ({rel['cpu_seconds']:.1%} of full)"
            )
            for job, part in inc.get("jobs", {}).items():
                print(
                    f"  {'':>8}  of which job {job} ({', '.join(part['stages'])}): wall "
                    f"{part['wall_seconds']:.1f} s ({part['share_of_full_wall']:.1%} of full)"
                )


def _stage_phases(stage: dict[str, Any]) -> list[tuple[str, float]]:
    phases = [(label, t["seconds"]) for label, t in stage.get("timers", {}).items()]
    extra = stage.get("extra") or {}
    for number, run in enumerate(extra.get("dbt_invocations", []), start=1):
        if not run:
            continue
        phases.append((f"dbt invocation {number}: dbt's elapsed time", run["elapsed_seconds"]))
        for kind, seconds in run["execution_seconds_by_kind"].items():
            phases.append((f"  of which {kind} execution (summed)", seconds))
        for name, seconds in list(run.get("model_seconds", {}).items())[:5]:
            phases.append((f"    model {name}", seconds))
    return phases


def print_summary(results: dict[str, Any]) -> None:
    """Per size: totals, the internal phases that took longest, and the memory probes."""
    runs = results["runs"]
    _print_totals(runs)
    print("\nInternal phases (seconds, from timers inside the stage processes):")
    for size, entry in runs.items():
        for part in ("full", "increment"):
            for stage in entry.get(part, {}).get("stages", []):
                for label, seconds in _stage_phases(stage):
                    print(f"  {size:>8} {part:<9} {stage['stage']:<8} {label:<48} {seconds:9.1f}")
                extra = stage.get("extra") or {}
                if "texts_in_drop" in extra:
                    print(
                        f"  {size:>8} {part:<9} {stage['stage']:<8} texts "
                        f"{extra['texts_in_drop']}, analyzed {extra.get('texts_analyzed')}, "
                        f"from the cache {extra.get('cache_hits')}"
                    )
    print("\nMemory inside the stage process (RSS, DuckDB's duckdb_memory(); sizes only):")
    for size, entry in runs.items():
        for part in ("full", "increment"):
            for stage in entry.get(part, {}).get("stages", []):
                for label, found in stage.get("probes", {}).items():
                    values = ", ".join(f"{k} {v}" for k, v in found.items())
                    print(f"  {size:>8} {part:<9} {label:<38} {values}")


# -- merging pieces ------------------------------------------------------------------------------


class MergeError(ValueError):
    """Pieces that cannot share one results file."""


def _base_commit(commit: str | None) -> str | None:
    return commit.removesuffix("-dirty") if commit else commit


def _what_must_match(results: dict[str, Any]) -> dict[str, Any]:
    return {"commit": _base_commit(results.get("commit")), "settings": results.get("settings")}


def _pieces_of(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs that measured a results file: its own `pieces` once merged, else its one run."""
    return results.get("pieces") or [
        {
            "command": results.get("command"),
            "started_at": results.get("started_at"),
            "finished_at": results.get("finished_at"),
            "machine": results.get("machine"),
            "sizes": sorted(results.get("runs", {}), key=int),
        }
    ]


def merge(pieces: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One results file from pieces (name, results) measured at one commit with one set of
    settings, each size in one piece only. The header is the first piece's; `pieces` says which
    command measured which sizes, when."""
    first_name, first = pieces[0]
    wanted = _what_must_match(first)
    runs: dict[str, Any] = {}
    measured_by: dict[str, str] = {}
    for name, piece in pieces:
        for key, value in _what_must_match(piece).items():
            if value != wanted[key]:
                raise MergeError(f"{name}: {key} {value!r} is not {first_name}'s {wanted[key]!r}")
        for size, entry in piece.get("runs", {}).items():
            if size in runs:
                raise MergeError(f"{name}: size {size} is measured in {measured_by[size]} too")
            runs[size] = entry
            measured_by[size] = name
    dirty = any(str(piece.get("commit", "")).endswith("-dirty") for _, piece in pieces)
    merged = {
        **first,
        "commit": f"{wanted['commit']}{'-dirty' if dirty else ''}",
        "runs": dict(sorted(runs.items(), key=lambda item: int(item[0]))),
        "pieces": [part for _, piece in pieces for part in _pieces_of(piece)],
    }
    return shaped(merged)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Merge scale benchmark pieces into one file.")
    commands = parser.add_subparsers(dest="command", required=True)
    merging = commands.add_parser("merge", help="add the pieces' sizes to the results file")
    merging.add_argument("results", type=Path, help="the results file, rewritten in place")
    merging.add_argument("pieces", type=Path, nargs="+", help="results files of other sizes")
    args = parser.parse_args(argv)
    paths = [args.results, *args.pieces]
    try:
        merged = merge([(str(path), json.loads(path.read_text())) for path in paths])
    except (OSError, json.JSONDecodeError, MergeError) as error:
        print(f"scale_results.py merge: {error}", file=sys.stderr)
        return 2
    args.results.write_text(json.dumps(merged, indent=2, default=str) + "\n")
    print(f"written: {args.results} (sizes {', '.join(merged['sizes'])})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
