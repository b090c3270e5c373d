"""Throughput of the scrubber against plain Presidio and spaCy NER alone, on the same texts.

    .venv/bin/python benchmarks/scrub_benchmark.py [--limit N] [--workers 2]

Texts: the user turns of ../shared/realdata/sharegpt-1000/ (real, unredacted) and of the bundled
sample drop, if present. Each detector runs in a fresh process, cold (no cache), and reports
messages/s, characters/s and peak memory (the measuring process, plus its largest worker). Then,
for the pattern-based types, how many of plain Presidio's findings ours does not cover (a drop in
recall would show there). Only counts are printed, never the text.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHAREGPT = ROOT.parent / "shared" / "realdata" / "sharegpt-1000" / "sampled_enriched_data"
SAMPLE_CONVERSATIONS = ROOT / "samples" / "drops" / "study-sample" / "conversations.jsonl"
COMPARED_TYPES = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IP_ADDRESS", "IBAN_CODE",
                  "US_SSN"}


def load_texts(limit: int | None) -> list[str]:
    texts = []
    for path in sorted(SHAREGPT.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if not isinstance(record, dict):
            continue
        texts += [turn["value"] for turn in record.get("conversations", [])
                  if turn.get("from") == "human" and turn.get("value")]
    if SAMPLE_CONVERSATIONS.exists():
        with SAMPLE_CONVERSATIONS.open(encoding="utf-8") as lines:
            for line in lines:
                texts += [t["content"] for t in json.loads(line)["turns"] if t["role"] == "user"]
    return texts[:limit]


def run_ours(texts: list[str], workers: int) -> list[list[tuple[int, int, str]]]:
    from pipelines.privacy.config import ScrubberConfig
    from pipelines.privacy.engine import detect_parallel

    found = detect_parallel(ScrubberConfig.load(), ((t, "full") for t in texts), workers=workers)
    return [[(f.start, f.end, f.entity_type) for f in findings] for findings in found]


def run_plain(texts: list[str], workers: int) -> list[list[tuple[int, int, str]]]:
    from pipelines.privacy.evaluate import plain_presidio

    return plain_presidio()(texts)


def run_spacy_ner(texts: list[str], workers: int) -> list[list[tuple[int, int, str]]]:
    import spacy

    from pipelines.privacy.config import ScrubberConfig

    nlp = spacy.load(ScrubberConfig.load().spacy_model, enable=["ner"])
    nlp.max_length = 2_000_000
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
            for doc in nlp.pipe(texts, batch_size=64, n_process=workers)]


RUNNERS = {"ours": run_ours, "plain Presidio (per-text analyze)": run_plain,
           "spaCy NER alone": run_spacy_ner}


def measure(name: str, limit: int | None, workers: int, out: Path) -> None:
    """In a fresh process: time one detector (model loading included) and write its results."""
    import pipelines  # noqa: F401  (offline settings first)

    texts = load_texts(limit)
    start = time.perf_counter()
    found = RUNNERS[name](texts, workers)
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out.write_text(json.dumps({"seconds": seconds, "peak_mib": (own + children) / 1024,
                               "found": found}))


def covered(span: tuple[int, int, str], others: list[tuple[int, int, str]]) -> bool:
    return any(s < span[1] and span[0] < e for s, e, _ in others)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="first N texts only")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=list(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        measure(args.only, args.limit, args.workers, args.out)
        return
    texts = load_texts(args.limit)
    characters = sum(len(t) for t in texts)
    print(f"{len(texts)} user messages, {characters:,} characters; {args.workers} workers\n")
    print("| detector | seconds | messages/s | characters/s | peak memory (MiB) |")
    print("|---|---|---|---|---|")
    results = {}
    for name in RUNNERS:
        out = Path(f"/tmp/scrub_benchmark_{abs(hash(name))}.json")
        command = [sys.executable, __file__, "--only", name, "--workers", str(args.workers),
                   "--out", str(out)] + (["--limit", str(args.limit)] if args.limit else [])
        subprocess.run(command, check=True, cwd=ROOT, stderr=subprocess.DEVNULL)
        results[name] = json.loads(out.read_text())
        out.unlink()
        seconds = results[name]["seconds"]
        print(f"| {name} | {seconds:.1f} | {len(texts) / seconds:,.1f} | "
              f"{characters / seconds:,.0f} | {results[name]['peak_mib']:,.0f} |")
    plain_name = "plain Presidio (per-text analyze)"
    ours, plain = results["ours"]["found"], results[plain_name]["found"]
    speedup = results[plain_name]["seconds"] / results["ours"]["seconds"]
    print(f"\nspeed-up over plain Presidio: {speedup:.1f}x")
    print("\nplain Presidio findings of pattern types that ours does not cover:")
    for entity_type in sorted(COMPARED_TYPES):
        theirs = [(i, span) for i, spans in enumerate(plain) for span in spans
                  if span[2] == entity_type]
        missed = sum(1 for i, span in theirs
                     if not covered(tuple(span), [tuple(s) for s in ours[i]]))
        print(f"  {entity_type}: {missed} of {len(theirs)}")


if __name__ == "__main__":
    main()
