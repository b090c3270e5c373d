"""Throughput of the scrubber against Presidio and spaCy NER alone, on the same texts.

    .venv/bin/python benchmarks/scrub_benchmark.py [--limit N] [--workers 2] [--results PATH]

Texts: the user turns of ../shared/realdata/sharegpt-1000/ (real, unredacted) and of the bundled
sample drop, if present. Each detector runs in a fresh process, cold (no cache, model loading
included), and reports characters/s, peak memory (the measuring process, plus its largest
worker) and the CPU seconds of the measuring process and all its workers (on a shared machine,
the figure other load changes least). Detectors: `ours` (the scrub's detection on a local Dask
cluster of `--workers` processes, as the scrub runs it), `plain_presidio_batch` (Presidio's own
`BatchAnalyzerEngine`, default recognizers, `analyze_iterator` in batches of 64,
`n_process=--workers`: what a user of Presidio would pick), `plain_presidio` (one `analyze` per
text, one process) and `spacy_ner` (spaCy's NER alone, `n_process=--workers`: the floor of any
NER-based detector). Rounds are interleaved (every detector once per round) and each keeps its
best round: speeds on a shared machine drift between minutes. Then, for the pattern-based types,
how many of plain Presidio's findings ours does not cover (a drop in recall would show there).
Only counts are printed, never the text. The figures go to `benchmarks/results/scrub.json`
(docs/benchmarks.md shows them).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHAREGPT = ROOT.parent / "shared" / "realdata" / "sharegpt-1000" / "sampled_enriched_data"
SAMPLE_CONVERSATIONS = ROOT / "samples" / "drops" / "study-sample" / "conversations.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "scrub.json"
sys.path.insert(0, str(ROOT))
from benchmarks.results_header import results_header, write_results  # noqa: E402

COMPARED_TYPES = {
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IP_ADDRESS",
    "IBAN_CODE",
    "US_SSN",
}


def load_texts(limit: int | None) -> list[str]:
    texts = []
    for path in sorted(SHAREGPT.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if not isinstance(record, dict):
            continue
        texts += [
            turn["value"]
            for turn in record.get("conversations", [])
            if turn.get("from") == "human" and turn.get("value")
        ]
    if SAMPLE_CONVERSATIONS.exists():
        with SAMPLE_CONVERSATIONS.open(encoding="utf-8") as lines:
            for line in lines:
                texts += [t["content"] for t in json.loads(line)["turns"] if t["role"] == "user"]
    return texts[:limit]


def run_ours(texts: list[str], workers: int) -> list[list[tuple[int, int, str]]]:
    from pipelines.privacy.config import ScrubberConfig
    from pipelines.privacy.detection_cluster import DetectionCluster

    # As the scrub sends a batch: the local cluster started for it, the texts in one batch.
    with DetectionCluster(ScrubberConfig.load(), workers) as cluster:
        found = cluster.detect([(t, "full") for t in texts])
    return [[(f.start, f.end, f.entity_type) for f in findings] for findings in found]


def run_plain(texts: list[str], workers: int) -> list[list[tuple[int, int, str]]]:
    from pipelines.privacy.evaluate import plain_presidio

    return plain_presidio()(texts)


def run_presidio_batch(texts: list[str], workers: int) -> list[list[tuple[int, int, str]]]:
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from pipelines.privacy.config import ScrubberConfig

    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": ScrubberConfig.load().spacy_model}],
        }
    ).create_engine()
    batch = BatchAnalyzerEngine(AnalyzerEngine(nlp_engine=nlp_engine))
    results = batch.analyze_iterator(texts, language="en", batch_size=64, n_process=workers)
    return [[(r.start, r.end, r.entity_type) for r in found] for found in results]


def run_spacy_ner(texts: list[str], workers: int) -> list[list[tuple[int, int, str]]]:
    import spacy

    from pipelines.privacy.config import ScrubberConfig

    nlp = spacy.load(ScrubberConfig.load().spacy_model, enable=["ner"])
    nlp.max_length = 2_000_000
    return [
        [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        for doc in nlp.pipe(texts, batch_size=64, n_process=workers)
    ]


RUNNERS = {
    "ours": run_ours,
    "plain_presidio_batch": run_presidio_batch,
    "plain_presidio": run_plain,
    "spacy_ner": run_spacy_ner,
}


def measure(name: str, limit: int | None, workers: int, out: Path) -> None:
    """In a fresh process: time one detector (model loading included) and write its results."""
    import pipelines  # noqa: F401  (offline settings first)

    texts = load_texts(limit)
    start = time.perf_counter()
    found = RUNNERS[name](texts, workers)
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(u.ru_utime + u.ru_stime for u in (own, children))
    out.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_mib": (own.ru_maxrss + children.ru_maxrss) / 1024,
                "found": found,
            }
        )
    )


def covered(span: tuple[int, int, str], others: list[tuple[int, int, str]]) -> bool:
    return any(s < span[1] and span[0] < e for s, e, _ in others)


def run_round(texts: list[str], args: argparse.Namespace) -> dict[str, dict]:
    """Every chosen detector once, each in a fresh process."""
    results = {}
    for name in args.detectors:
        out = Path(f"/tmp/scrub_benchmark_{os.getpid()}_{name}.json")
        command = [
            sys.executable,
            __file__,
            "--only",
            name,
            "--workers",
            str(args.workers),
            "--out",
            str(out),
        ] + (["--limit", str(args.limit)] if args.limit else [])
        subprocess.run(command, check=True, cwd=ROOT, stderr=subprocess.DEVNULL)
        results[name] = json.loads(out.read_text())
        out.unlink()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="first N texts only")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="every detector once per round; the best round of each is kept",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help=f"where the figures go (default: {RESULTS.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--detectors",
        type=lambda names: names.split(","),
        default=list(RUNNERS),
        help=f"comma-separated, of {', '.join(RUNNERS)} (default: all)",
    )
    parser.add_argument("--only", choices=list(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        measure(args.only, args.limit, args.workers, args.out)
        return
    unknown = set(args.detectors) - set(RUNNERS)
    if unknown:
        parser.error(f"--detectors: no detector {', '.join(sorted(unknown))}")
    texts = load_texts(args.limit)
    characters = sum(len(t) for t in texts)
    print(f"{len(texts)} user messages, {characters:,} characters; {args.workers} workers\n")
    print("| round | detector | seconds | characters/s | CPU seconds | peak memory (MiB) |")
    print("|---|---|---|---|---|---|")
    rounds: dict[str, list[dict]] = {name: [] for name in args.detectors}
    for number in range(1, args.rounds + 1):
        for name, result in run_round(texts, args).items():
            rounds[name].append(result)
            print(
                f"| {number} | {name} | {result['seconds']:.1f} | "
                f"{characters / result['seconds']:,.0f} | {result['cpu_seconds']:.1f} | "
                f"{result['peak_mib']:,.0f} |",
                flush=True,
            )
    not_covered = {}
    compared = {"ours", "plain_presidio"} <= set(args.detectors)
    if compared:
        print("\nplain Presidio findings of pattern types that ours does not cover:")
        ours, plain = rounds["ours"][0]["found"], rounds["plain_presidio"][0]["found"]
    for entity_type in sorted(COMPARED_TYPES) if compared else []:
        theirs = [
            (i, span) for i, spans in enumerate(plain) for span in spans if span[2] == entity_type
        ]
        missed = sum(
            1 for i, span in theirs if not covered(tuple(span), [tuple(s) for s in ours[i]])
        )
        not_covered[entity_type] = {"missed": missed, "of": len(theirs)}
        print(f"  {entity_type}: {missed} of {len(theirs)}")
    detectors = {}
    for name, results in rounds.items():
        best = min(r["seconds"] for r in results)
        detectors[name] = {
            "chars_per_s": round(characters / best),
            "peak_rss_mb": round(min(r["peak_mib"] for r in results)),
            "seconds": round(best, 2),
            "cpu_seconds": round(min(r["cpu_seconds"] for r in results), 2),
            "rounds_chars_per_s": [round(characters / r["seconds"]) for r in results],
        }
    if {"ours", "spacy_ner"} <= detectors.keys():
        ratio = detectors["ours"]["chars_per_s"] / detectors["spacy_ner"]["chars_per_s"]
        print(f"\nours at {ratio:.2f} x spaCy NER alone (best rounds)")
    print()
    write_results(
        args.results,
        results_header("scrub_benchmark.py"),
        {
            "workers": args.workers,
            "texts": len(texts),
            "chars": characters,
            "detectors": detectors,
            "plain_presidio_pattern_findings_not_covered": not_covered,
        },
    )


if __name__ == "__main__":
    main()
