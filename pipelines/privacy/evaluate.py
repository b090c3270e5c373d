"""Score the scrubber on span-labeled corpora: recall per entity type, character precision.

    python -m pipelines.privacy.evaluate [PATH ...] [--baseline] [--limit N]

Without PATH, every labeled set the project keeps is scored (`LABELED_SETS`): presidio-synth,
read by path from ../shared/realdata/ when it is there, and the sets written for this scrubber in
`pipelines/privacy/labeled/` (capitalized words that are no person's name, with private names
mixed in; numbers and codes introduced as identifiers, with look-alikes that are none). All go in
one table. `--baseline` scores plain Presidio too (a default `AnalyzerEngine`, per text, on the
same spaCy model). Only counts are printed, never the text.

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
from pathlib import Path

from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.engine import detect_parallel
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
}
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
        for start, end, entity_type in predicted:
            masked.update(i for i in range(start, end) if not record.text[i].isspace())
            result.predicted_by_type[entity_type] += 1
            if not any(start < e and s < end for s, e, _ in record.spans):
                result.outside_labels[entity_type] += 1
        labeled = set()
        for start, end, entity_type in record.spans:
            chars = {i for i in range(start, end) if not record.text[i].isspace()}
            labeled |= chars
            result.mentions[entity_type] += 1
            if chars and len(chars & masked) / len(chars) >= coverage:
                result.found[entity_type] += 1
        result.predicted_chars += len(masked)
        result.correct_chars += len(masked & labeled)
    return result


def ours(workers: int = 1) -> Predictor:
    config = ScrubberConfig.load()

    def predict(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        found = detect_parallel(config, ((t, "full") for t in texts), workers=workers)
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


def _cell(value: float) -> str:
    return "–" if value != value else f"{value:.3f}"


def _outside(score: Score) -> str:
    return ", ".join(f"{t} {n}" for t, n in score.outside_labels.most_common()) or "0"


def report(scores: dict[str, dict[str, Score]]) -> str:
    """A markdown table: per labeled set, one row per labeled type, one recall column per scorer,
    then the set's mention recall, character precision and findings outside its labels."""
    scorers = list(scores)
    rows = []
    for corpus, first in scores[scorers[0]].items():
        by_scorer = [scores[n][corpus] for n in scorers]
        types = sorted(first.mentions, key=lambda t: (t in KEPT_BY_POLICY, -first.mentions[t], t))
        scrubbed_types = [t for t in types if t not in KEPT_BY_POLICY]
        for entity_type in types:
            label = entity_type + (" (kept by policy)" if entity_type in KEPT_BY_POLICY else "")
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
    args = parser.parse_args(argv)
    if args.paths:
        paths = {path.name: path for path in args.paths}
    else:
        paths = {name: path for name, path in LABELED_SETS.items() if path.exists()}
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
    scores = {
        scorer: {name: score(records, predict, args.coverage) for name, records in corpora.items()}
        for scorer, predict in predictors.items()
    }
    print(", ".join(f"{name}: {len(records)} records" for name, records in corpora.items()) + "\n")
    print(report(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
