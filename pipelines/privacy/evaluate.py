"""Score the scrubber on span-labeled corpora: recall per entity type, character precision.

    python -m pipelines.privacy.evaluate [PATH ...] [--baseline] [--limit N]

Without PATH, every labeled set the project keeps is scored (`LABELED_SETS`): presidio-synth,
read by path from ../shared/realdata/ when it is there, and the sets written for this scrubber in
`pipelines/privacy/labeled/` (capitalized words that are no person's name, with private names
mixed in; numbers and codes introduced as identifiers, with look-alikes that are none; the city,
employer or school of a user's statement about themselves, with countries, states and places or
companies a text only talks about). All go in one table. A set whose records fall in halves (the
real turns: a development half the name rules are tuned on, and a held-out half, by the SHA-256 of
the record key, `real_turns.half`) is scored whole and per half. `--baseline` scores plain
Presidio too (a default `AnalyzerEngine`, per text, on the same spaCy model). Only counts are
printed, never the text.

Formats of PATH: JSON, a list of records in the format of presidio-research (`full_text` and
`spans` with `entity_type`, `start_position`, `end_position`), of the Text Anonymization Benchmark
(`text` and `annotations` -> annotator -> `entity_mentions` with `start_offset`, `end_offset`), or
plain (`text` and `spans` with `start`, `end` and `entity_type` or `label`); or text, one record
per line with its spans written `[value](TYPE)`, "#" starting a comment line (the labeled sets).

A labeled mention counts as found when predictions of any type cover at least `--coverage` of its
non-space characters: for privacy, what matters is that it is gone, not what it was called.
Character precision is the share of predicted non-space characters that fall inside a labeled span;
"findings outside labels" counts, per type, the predictions that touch no labeled span (on the
labeled sets, every one is a look-alike scrubbed by mistake).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.engine import detect_on_cluster
from pipelines.privacy.real_turns import HALVES, REALDATA, half, labeled_turns
from pipelines.settings import PROJECT_ROOT
from pipelines.text_format import markdown_table

LABELED = Path(__file__).with_name("labeled")
# The labeled sets `python -m pipelines.privacy.evaluate` scores by default, by name.
LABELED_SETS = {
    "presidio-synth": PROJECT_ROOT.parent
    / "shared"
    / "realdata"
    / "presidio-synth"
    / "synth_dataset_v2.json",
    "false names": LABELED / "false_names.txt",
    "identifier codes": LABELED / "identifier_codes.txt",
    "real turns": LABELED / "real_turns.tsv",
    "quasi-identifiers": LABELED / "quasi_identifiers.txt",
}
# Where `python -m pipelines.privacy.evaluate` writes the figures of a full run, and the section
# of docs/privacy.md that shows them (written from that file, never typed).
RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "privacy_eval.json"
DOC = PROJECT_ROOT / "docs" / "privacy.md"
DOC_SECTION = re.compile(
    r"(<!-- results:privacy_eval -->\n)(.*?)(<!-- /results:privacy_eval -->)", re.S
)
# Labels of names that must stay: a finding that touches only these is outside the labels.
LOOK_ALIKES = {"PUBLIC_FIGURE", "NOT_PERSON"}
# A labeled span in the text format: "[Marie](PERSON)".
MARKED_SPAN = re.compile(r"\[([^\[\]]+)\]\(([A-Z_]+)\)")

# Labeled types the scrubber leaves in place by policy (see scrubber.yaml); scored all the same.
KEPT_BY_POLICY = {
    "ORGANIZATION",
    "ORG",
    "GPE",
    "LOCATION",
    "LOC",
    "DATE_TIME",
    "DATETIME",
    "TITLE",
    "AGE",
    "NRP",
    "DOMAIN_NAME",
    "DEM",
    "QUANTITY",
    "MISC",
}


@dataclass(frozen=True)
class Record:
    text: str
    spans: tuple[tuple[int, int, str], ...]
    # The predicted types whose findings are counted on this record (all when None): the real
    # turns label names only. Whatever a finding's type, it masks what it covers.
    scored: frozenset[str] | None = None
    # The half of its set a record falls in ("development", "held-out"), where the set has halves.
    part: str | None = None


def available(path: Path) -> bool:
    """The set's file is there, and so is the real data a reference set points into."""
    return path.exists() and (path.suffix != ".tsv" or REALDATA.exists())


def load_marked(path: Path) -> list[Record]:
    """One record per line, spans written `[value](TYPE)`; blank and "#" lines skipped."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, spans, last = "", [], 0
        for match in MARKED_SPAN.finditer(line):
            text += line[last : match.start()]
            spans.append((len(text), len(text) + len(match.group(1)), match.group(2)))
            text += match.group(1)
            last = match.end()
        records.append(Record(text + line[last:], tuple(spans)))
    return records


def load_corpus(path: Path) -> list[Record]:
    """Records of any of the accepted formats; raises naming the record that fits none."""
    if path.suffix == ".txt":
        return load_marked(path)
    if path.suffix == ".tsv":
        names = frozenset({"PERSON"})
        return [
            Record(text, tuple(spans), names, half(key)) for key, text, spans in labeled_turns(path)
        ]
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("records") or data.get("documents") or list(data.values())
    records = []
    for index, item in enumerate(data):
        if "full_text" in item:
            spans = [
                (s["start_position"], s["end_position"], s["entity_type"])
                for s in item.get("spans", [])
            ]
            records.append(Record(item["full_text"], tuple(spans)))
        elif "annotations" in item:
            annotator = next(iter(item["annotations"].values()), {})
            spans = [
                (m["start_offset"], m["end_offset"], m["entity_type"])
                for m in annotator.get("entity_mentions", [])
                if m.get("identifier_type", "DIRECT") != "NO_MASK"
            ]
            records.append(Record(item["text"], tuple(spans)))
        elif "text" in item and "spans" in item:
            spans = [
                (s["start"], s["end"], s.get("entity_type") or s["label"]) for s in item["spans"]
            ]
            records.append(Record(item["text"], tuple(spans)))
        else:
            raise ValueError(
                f"{path}: record {index} has neither full_text, annotations nor text+spans"
            )
    return records


@dataclass
class Score:
    mentions: Counter = field(default_factory=Counter)
    found: Counter = field(default_factory=Counter)
    predicted_chars: int = 0
    correct_chars: int = 0
    predicted_by_type: Counter = field(default_factory=Counter)
    outside_labels: Counter = field(default_factory=Counter)
    on_look_alikes: Counter = field(default_factory=Counter)

    def precision(self, entity_type: str) -> float:
        """Share of the type's findings that touch a labeled span of a scrubbed kind."""
        predicted = self.predicted_by_type[entity_type]
        return 1 - self.outside_labels[entity_type] / predicted if predicted else float("nan")

    def recall(self, entity_type: str) -> float:
        return (
            self.found[entity_type] / self.mentions[entity_type]
            if self.mentions[entity_type]
            else float("nan")
        )

    def mention_recall(self, types: Iterable[str]) -> float:
        types = list(types)
        total = sum(self.mentions[t] for t in types)
        return sum(self.found[t] for t in types) / total if total else float("nan")

    @property
    def char_precision(self) -> float:
        return self.correct_chars / self.predicted_chars if self.predicted_chars else float("nan")


Predictor = Callable[[list[str]], list[list[tuple[int, int, str]]]]


def score(records: list[Record], predict: Predictor, coverage: float = 0.8) -> Score:
    result = Score()
    predictions = predict([r.text for r in records])
    for record, predicted in zip(records, predictions, strict=True):
        masked = set()
        positives = [span for span in record.spans if span[2] not in LOOK_ALIKES]
        for start, end, entity_type in predicted:
            masked.update(i for i in range(start, end) if not record.text[i].isspace())
            if record.scored is not None and entity_type not in record.scored:
                continue
            result.predicted_by_type[entity_type] += 1
            if not any(start < e and s < end for s, e, _ in positives):
                result.outside_labels[entity_type] += 1
                for s, e, label in record.spans:
                    if start < e and s < end:
                        result.on_look_alikes[f"{entity_type} on {label}"] += 1
                        break
        labeled = set()
        for start, end, entity_type in record.spans:
            chars = {i for i in range(start, end) if not record.text[i].isspace()}
            labeled |= chars if entity_type not in LOOK_ALIKES else set()
            result.mentions[entity_type] += 1
            if chars and len(chars & masked) / len(chars) >= coverage:
                result.found[entity_type] += 1
        result.predicted_chars += len(masked)
        result.correct_chars += len(masked & labeled)
    return result


def ours(workers: int = 1) -> Predictor:
    config = ScrubberConfig.load()

    def predict(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        found = detect_on_cluster(config, ((t, "full") for t in texts), workers=workers)
        return [[(f.start, f.end, f.entity_type) for f in findings] for findings in found]

    return predict


def plain_presidio(model: str | None = None) -> Predictor:
    """Presidio as it comes: every default recognizer, threshold 0, one `analyze` per text."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    model = model or ScrubberConfig.load().spacy_model
    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": model}],
        }
    ).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine)

    def predict(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        return [
            [(r.start, r.end, r.entity_type) for r in analyzer.analyze(t, language="en")]
            for t in texts
        ]

    return predict


def _remembered(predict: Predictor) -> Predictor:
    """`predict`, run once per distinct text: the halves of a set reuse the whole set's."""
    memory: dict[str, list[tuple[int, int, str]]] = {}

    def remembered(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        new = list(dict.fromkeys(t for t in texts if t not in memory))
        memory.update(zip(new, predict(new) if new else [], strict=True))
        return [memory[t] for t in texts]

    return remembered


def _cell(value: float) -> str:
    return "–" if value != value else f"{value:.3f}"


def _outside(score: Score) -> str:
    return ", ".join(f"{t} {n}" for t, n in score.outside_labels.most_common()) or "0"


def _precisions(score: Score) -> str:
    return ", ".join(
        f"{t} {_cell(score.precision(t))}" for t, _ in score.predicted_by_type.most_common()
    )


def report(scores: dict[str, dict[str, Score]]) -> str:
    """A markdown table: per labeled set, one row per labeled type, one recall column per scorer,
    then the set's mention recall, character precision and findings outside its labels."""
    scorers = list(scores)
    rows = []
    for corpus, first in scores[scorers[0]].items():
        by_scorer = [scores[n][corpus] for n in scorers]
        types = sorted(
            first.mentions,
            key=lambda t: (t in LOOK_ALIKES, t in KEPT_BY_POLICY, -first.mentions[t], t),
        )
        scrubbed_types = [t for t in types if t not in KEPT_BY_POLICY | LOOK_ALIKES]
        for entity_type in types:
            label = entity_type + (
                " (kept by policy)"
                if entity_type in KEPT_BY_POLICY
                else " (to keep: share scrubbed)"
                if entity_type in LOOK_ALIKES
                else ""
            )
            rows.append(
                [corpus, label, first.mentions[entity_type]]
                + [_cell(s.recall(entity_type)) for s in by_scorer]
            )
        if len(scrubbed_types) > 1:
            rows.append(
                [
                    corpus,
                    "**mention recall, scrubbed types**",
                    sum(first.mentions[t] for t in scrubbed_types),
                ]
                + [_cell(s.mention_recall(scrubbed_types)) for s in by_scorer]
            )
        rows.append(
            [corpus, "**character precision**", ""] + [_cell(s.char_precision) for s in by_scorer]
        )
        rows.append([corpus, "**findings outside labels**", ""] + [_outside(s) for s in by_scorer])
        rows.append([corpus, "**precision by type**", ""] + [_precisions(s) for s in by_scorer])
        if any(s.on_look_alikes for s in by_scorer):
            rows.append(
                [corpus, "**findings on names to keep**", ""]
                + [
                    ", ".join(f"{k} {n}" for k, n in s.on_look_alikes.most_common()) or "0"
                    for s in by_scorer
                ]
            )
    header = ["labeled set", "entity type", "mentions"] + [f"recall ({n})" for n in scorers]
    return markdown_table(header, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.privacy.evaluate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "paths",
        type=Path,
        nargs="*",
        help="labeled corpora (default: every set of LABELED_SETS found)",
    )
    parser.add_argument(
        "--baseline", action="store_true", help="also score plain Presidio, side by side"
    )
    parser.add_argument(
        "--coverage",
        type=float,
        default=0.8,
        help="share of a mention's characters that must be masked (default 0.8)",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="score the first N records of each corpus only"
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help=f"write the figures there (default for a full run of the kept sets: {RESULTS}, "
        "and the section of docs/privacy.md that shows them)",
    )
    parser.add_argument(
        "--check-doc",
        action="store_true",
        help="only check that docs/privacy.md shows the committed results; exit 1 if not",
    )
    args = parser.parse_args(argv)
    if args.check_doc:
        current = doc_is_current()
        print(
            "docs/privacy.md shows the committed results"
            if current
            else "docs/privacy.md is not current: run python -m pipelines.privacy.evaluate"
        )
        return 0 if current else 1
    if args.paths:
        paths = {path.name: path for path in args.paths}
    else:
        paths = {name: path for name, path in LABELED_SETS.items() if available(path)}
        for name in LABELED_SETS.keys() - paths.keys():
            print(f"{name}: not found at {LABELED_SETS[name]}, skipped", file=sys.stderr)
    try:
        corpora = {name: load_corpus(path)[: args.limit] for name, path in paths.items()}
    except (OSError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    predictors = {"ours": ours(args.workers)}
    if args.baseline:
        predictors["plain Presidio"] = plain_presidio()
    # A set with halves is scored whole, then per half from the same predictions.
    corpora.update(
        {
            f"{name} ({part} half)": [r for r in records if r.part == part]
            for name, records in list(corpora.items())
            if any(r.part for r in records)
            for part in HALVES
        }
    )
    scores = {
        scorer: {name: score(records, predict, args.coverage) for name, records in corpora.items()}
        for scorer, predict in ((n, _remembered(p)) for n, p in predictors.items())
    }
    summary = ", ".join(f"{name}: {len(records)} records" for name, records in corpora.items())
    table = report(scores)
    print(summary + "\n")
    print(table)
    full_run = not args.paths and args.limit is None and len(paths) == len(LABELED_SETS)
    results_path = args.results or (RESULTS if full_run else None)
    if results_path:
        arguments = argv if argv is not None else sys.argv[1:]
        results = {
            "command": " ".join(["python -m pipelines.privacy.evaluate", *arguments]),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "records": {name: len(records) for name, records in corpora.items()},
            "figures": {
                scorer: {name: figures(s) for name, s in by_set.items()}
                for scorer, by_set in scores.items()
            },
            "table": table,
        }
        results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        if results_path == RESULTS:
            write_doc(results)
        print(f"\nresults written to {results_path}", file=sys.stderr)
    return 0


def figures(result: Score) -> dict:
    """The figures of one scored set, as the results file keeps them."""
    return {
        "mentions": dict(result.mentions),
        "recall": {t: round(result.recall(t), 4) for t in result.mentions},
        "character_precision": round(result.char_precision, 4),
        "precision": {t: round(result.precision(t), 4) for t in result.predicted_by_type},
        "findings_outside_labels": dict(result.outside_labels),
        "findings_on_names_to_keep": dict(result.on_look_alikes),
    }


def doc_section(results: dict) -> str:
    """What docs/privacy.md shows of a results file: how it was made and the table."""
    records = ", ".join(f"{name} {n:,}" for name, n in results["records"].items())
    return (
        f"Run `{results['command']}`, finished {results['finished_at']}; records: {records}.\n\n"
        f"{results['table']}\n"
    )


def write_doc(results: dict) -> None:
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(DOC_SECTION.sub(lambda m: m[1] + doc_section(results) + m[3], text))


def doc_is_current() -> bool:
    """docs/privacy.md shows, between its markers, exactly the committed results file."""
    match = DOC_SECTION.search(DOC.read_text(encoding="utf-8"))
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    return bool(match) and match[2] == doc_section(results)


if __name__ == "__main__":
    sys.exit(main())
