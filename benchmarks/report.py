"""Writes the figures of `benchmarks/results/*.json` into docs/benchmarks.md.

    .venv/bin/python benchmarks/report.py           # rewrite the generated sections
    .venv/bin/python benchmarks/report.py --check   # exit 1 if the doc is not current

Each benchmark writes its results file; the doc holds one generated section per file, between
`<!-- results:NAME -->` and `<!-- /results:NAME -->`, so the figures a reader sees are the ones
committed, never typed in.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipelines.text_format import markdown_table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = re.compile(r"(<!-- results:(\w+) -->\n)(.*?)(<!-- /results:\2 -->)", re.DOTALL)


def _number(value: Any, digits: int = 1) -> str:
    if value is None:
        return ""
    if isinstance(value, int) or digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def _ran(results: dict[str, Any]) -> str:
    machine = results.get("machine", {})
    load = machine.get("load_average")
    return (
        f"Run `{results['command']}`, finished {results.get('finished_at', '?')}, on "
        f"{machine.get('cpus', '?')} CPUs ({machine.get('platform', '?')})"
        + (f", load average {load[0]} at the end" if load else "")
        + "."
    )


def scrub(results: dict[str, Any]) -> str:
    rows = [
        [
            name,
            _number(d.get("seconds")),
            _number(d.get("cpu_seconds")),
            _number(d["chars_per_s"], 0),
            ", ".join(_number(r, 0) for r in d.get("rounds_chars_per_s", [])),
            _number(d["peak_rss_mb"], 0),
        ]
        for name, d in results["detectors"].items()
    ]
    missed = ", ".join(
        f"{kind} {v['missed']} of {v['of']}"
        for kind, v in results["plain_presidio_pattern_findings_not_covered"].items()
    )
    return "\n\n".join(
        [
            f"{results['texts']:,} user messages, {results['chars']:,} characters, "
            f"{results['workers']} workers. {_ran(results)}",
            markdown_table(
                [
                    "detector",
                    "best seconds",
                    "CPU seconds (least)",
                    "characters/s (best)",
                    "characters/s per round",
                    "peak memory (MiB)",
                ],
                rows,
            ),
            f"Plain Presidio's findings of pattern types that ours does not cover: {missed}.",
        ]
    )


def detection_engines(results: dict[str, Any]) -> str:
    rows = [
        [
            engine,
            workers,
            _number(w["start_s"]),
            _number(w["chars_per_s"], 0),
            ", ".join(_number(r["chars_per_s"], 0) for r in w["rounds"]),
            _number(w["peak_tree_rss_mb"], 0),
            _number(e["installed_mb"], 0),
        ]
        for engine, e in results["engines"].items()
        for workers, w in e["workers"].items()
    ]
    return "\n\n".join(
        [
            f"{results['texts']:,} user messages, {results['chars']:,} characters. {_ran(results)}",
            markdown_table(
                [
                    "engine",
                    "workers",
                    "start-up s (best)",
                    "characters/s (best)",
                    "characters/s per round",
                    "peak tree memory (MiB)",
                    "installed MB",
                ],
                rows,
            ),
        ]
    )


_STAGE_COLUMNS = [
    "stage",
    "rows",
    "wall s",
    "step s",
    "cpu s",
    "rows/s",
    "max RSS MB",
    "tree RSS MB",
]


def _stage_rows(stages: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for stage in stages:
        seconds = stage.get("step_seconds") or stage.get("wall_seconds")
        rate = stage["rows"] / seconds if stage.get("rows") and seconds else None
        rows.append(
            [
                stage["stage"],
                _number(stage.get("rows"), 0),
                _number(stage.get("wall_seconds")),
                _number(stage.get("step_seconds")),
                _number(stage.get("cpu_seconds")),
                _number(rate, 0),
                _number(stage.get("max_rss_mb"), 0),
                _number(stage.get("tree_rss_mb"), 0),
            ]
        )
    return rows


def scale(results: dict[str, Any]) -> str:
    commit = f" Commit `{results['commit']}`." if results.get("commit") else ""
    pieces = results.get("pieces")
    if pieces:
        ran = [f"Measured in {len(pieces)} runs at one commit.{commit}"]
        ran += [
            f"- sizes {', '.join(f'{int(n):,}' for n in piece['sizes'])}: {_ran(piece)}"
            for piece in pieces
        ]
        parts = ["\n".join(ran)]
    else:
        parts = [_ran(results) + commit]
    increment = results.get("increment")
    if increment:
        parts.append(
            f"**Increment**: {increment['size']:,} conversations added to "
            f"{increment['of_size']:,} cost {increment['share_of_full']:.1%} of the full run's "
            f"pipeline wall time ({_number(increment['total_wall_s'])} s against "
            f"{_number(results['sizes'][str(increment['of_size'])]['total_wall_s'])} s)."
        )
    for size, entry in results["runs"].items():
        full = entry["full"]
        parts.append(f"**{int(size):,} conversations**, full run:")
        parts.append(markdown_table(_STAGE_COLUMNS, _stage_rows(full["stages"])))
        earlier = [s for s in full["stages"] if "earlier run at" in (s.get("note") or "")]
        if earlier:
            # A run resumed from a stage (--resume-from): the stages before it are a kept piece's.
            parts.append(
                f"{', '.join(s['stage'] for s in earlier)}: "
                + "; ".join(sorted({s["note"] for s in earlier}))
                + " (the same folder, resumed from the next stage)."
            )
        totals = full.get("totals", {})
        parts.append(
            f"Pipeline wall time {_number(totals.get('pipeline_wall_seconds'))} s, step time "
            f"{_number(totals.get('step_seconds'))} s, CPU {_number(totals.get('cpu_seconds'))} "
            f"s, largest process {_number(totals.get('max_rss_mb'), 0)} MB."
        )
        increment = entry.get("increment")
        if increment:
            relative = increment["relative_to_full"]
            jobs = ", ".join(
                f"`{job}` {_number(j['wall_seconds'])} s "
                f"({j['share_of_full_wall']:.1%} of the full run)"
                for job, j in increment.get("jobs", {}).items()
            )
            parts.append(
                f"Incremental drop of {increment['share_of_conversations']:.1%} more "
                f"conversations: {relative['pipeline_wall_seconds']:.1%} of the full run's wall "
                f"time, {relative['step_seconds']:.1%} of its step time; by job: {jobs}."
            )
            parts.append(markdown_table(_STAGE_COLUMNS, _stage_rows(increment["stages"])))
    return "\n\n".join(parts)


def stage2_baselines(results: dict[str, Any]) -> str:
    rows = [
        [
            f"`{runtime}`",
            _number(r.get("install_seconds")),
            _number(r.get("installed_mb"), 0),
            _number(r.get("load_seconds"), 2),
            _number(r.get("texts_per_second")),
            _number(r.get("f1_validation"), 4),
            _number(r.get("f1_test"), 4),
        ]
        for runtime, r in results["embedding_runtimes"].items()
    ]
    bm25 = results["bm25"]
    return "\n\n".join(
        [
            f"{_ran(results)} {results['items']:,} stage-2 items, "
            f"{results['distinct_texts']:,} distinct texts.",
            markdown_table(
                [
                    "embedding runtime",
                    "install s",
                    "installed MB",
                    "load s",
                    "texts/s",
                    "F1 validation",
                    "F1 test",
                ],
                rows,
            ),
            f"BM25: F1 validation {bm25['f1_validation']:.4f}, test {bm25['f1_test']:.4f}, "
            f"scored in {results['bm25_seconds']} s.",
        ]
    )


def release_figures(results: dict[str, Any]) -> str:
    figure = results["stage2_kappa"]
    return (
        f"{_ran(results)}\n\nThe stage-2 kappa figure over {results['items']:,} items "
        f"({results['votes']:,} votes of {results['judges']} judges): "
        f"{_number(figure['seconds'])} s, peak RSS {figure['peak_rss_mb']:,} MB "
        f"({figure['rss_before_mb']:,} MB before it started)."
    )


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "scrub": scrub,
    "detection_engines": detection_engines,
    "detection_engines_all_turns": detection_engines,
    "scale": scale,
    "stage2_baselines": stage2_baselines,
    "release_figures": release_figures,
}


def render(doc: str, results_dir: Path = RESULTS) -> str:
    """The doc with each generated section rendered from its results file."""

    def section(match: re.Match[str]) -> str:
        name = match.group(2)
        path = results_dir / f"{name}.json"
        if not path.is_file():
            body = f"No results yet: run the benchmark to write `{path.relative_to(ROOT)}`."
        else:
            body = RENDERERS[name](json.loads(path.read_text(encoding="utf-8")))
        return f"{match.group(1)}{body}\n{match.group(4)}"

    return SECTION.sub(section, doc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc is not current")
    args = parser.parse_args()
    current = DOC.read_text(encoding="utf-8")
    wanted = render(current)
    if args.check:
        if wanted != current:
            print(f"{DOC.relative_to(ROOT)} is not current: run benchmarks/report.py")
            return 1
        return 0
    DOC.write_text(wanted, encoding="utf-8")
    print(f"written: {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
