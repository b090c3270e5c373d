"""`python -m pipelines.adapters SRC [SRC...] OUT [--format F | --map FILE]`: write a drop."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pipelines.adapters import FORMATS, AdapterError, adapt


def _default(text: str) -> tuple[str, str, object]:
    """`conversations.timestamp=2023-04-09T00:00:00Z` -> (stem, field, value)."""
    target, _, value = text.partition("=")
    stem, _, field = target.partition(".")
    if not (stem and field and value):
        raise argparse.ArgumentTypeError(f"{text!r} is not STEM.FIELD=VALUE")
    try:
        return stem, field, json.loads(value)
    except json.JSONDecodeError:
        return stem, field, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.adapters", description=__doc__)
    parser.add_argument("paths", nargs="+", type=Path, help="source(s), then the output folder")
    parser.add_argument("--format", default="auto", choices=["auto", *FORMATS])
    parser.add_argument(
        "--map",
        type=Path,
        metavar="MAPPING.yaml",
        help="read every source that is not a study-tool export through this mapping file "
        "(docs/adapters.md)",
    )
    parser.add_argument("--lima", type=Path, help="LIMA prompts JSONL, to fill prompts.source_id")
    parser.add_argument("--convs-index", type=Path, help="the study's convs_index.db")
    parser.add_argument("--source", default="openai", help="source name of openai-messages logs")
    parser.add_argument("--source-kind", default="real", choices=["real", "synthetic"])
    parser.add_argument(
        "--default",
        type=_default,
        action="append",
        default=[],
        metavar="STEM.FIELD=VALUE",
        help="a value for a field the source lacks, e.g. conversations.timestamp=2023-04-09"
        "T00:00:00Z (recorded in the manifest); without it such records are quarantined",
    )
    args = parser.parse_args(argv)
    if len(args.paths) < 2:
        parser.error("give at least one source and the output folder")
    defaults: dict[str, dict[str, object]] = {}
    for stem, field, value in args.default:
        defaults.setdefault(stem, {})[field] = value
    started = time.perf_counter()
    try:
        report = adapt(
            args.paths[:-1],
            args.paths[-1],
            args.format,
            lima=args.lima,
            convs_index=args.convs_index,
            defaults=defaults,
            source=args.source,
            source_kind=args.source_kind,
            mapping=args.map,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except AdapterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(format_report(report))
    print(f"adapted in {time.perf_counter() - started:.1f} s -> {args.paths[-1]}")
    return 0


def format_report(report: dict) -> str:
    lines = [f"{'source file':<58} {'in':>7} {'written':>8} {'quarant.':>8}  unit"]
    for s in report["sources"]:
        lines.append(
            f"{s['source']:<58} {s['units_in']:>7} {s['written']:>8} {s['quarantined']:>8}  "
            f"{s['unit']}"
        )
    for label, why in report["not_read"].items():
        lines.append(f"{label:<58} not read: {why}")
    if report["lookups"]:
        lines.append("lookups: " + "; ".join(f"{k}: {v}" for k, v in report["lookups"].items()))
    lines.append(
        "records written: " + ", ".join(f"{k} {v}" for k, v in report["records_out"].items())
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
