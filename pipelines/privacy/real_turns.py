"""The labeled real-turn sample: names labeled in real user turns that stay in ../shared/realdata.

`labeled/real_turns.tsv` holds, per turn, where the turn is (file under the real-data folder,
record key, turn index), the first 16 hex digits of its text's SHA-256, and the names in it as
character offsets, each one `private`, `public` or `not_person`; never the text itself, which is
real people's and may not be published. Loading reads each file once, finds the turn by its key
and checks the digest, so a label can never land on a text it was not made for.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from pipelines.settings import PROJECT_ROOT

REALDATA = PROJECT_ROOT.parent / "shared" / "realdata"
# What each label of the file is scored as: a private name is one to scrub (PERSON); a public
# figure and a word that names no person are look-alikes a PERSON finding must not take.
LABEL_TYPES = {"private": "PERSON", "public": "PUBLIC_FIGURE", "not_person": "NOT_PERSON"}

Span = tuple[int, int, str]
# The two halves of the sample (`half`).
HALVES = ("development", "held-out")


class RealTurnError(ValueError):
    """A line of the label file that does not fit its turn: names file, line and field."""


def _turns_of(path: Path) -> dict[tuple[str, int], str]:
    """Every turn's text of one real-data file, by (record key, turn index)."""
    turns: dict[tuple[str, int], str] = {}
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                for index, message in enumerate(record.get("messages", [])):
                    turns[(record["id"], index)] = message.get("content") or ""
    else:
        record = json.loads(path.read_text(encoding="utf-8"))
        for index, turn in enumerate(record.get("conversations", [])):
            turns[(record["id"], index)] = turn.get("value") or ""
    return turns


def _spans(field: str, where: str, length: int) -> list[Span]:
    spans = []
    for item in [] if field == "-" else field.split():
        offsets, _, label = item.partition("=")
        start, _, end = offsets.partition(":")
        if label not in LABEL_TYPES or not start.isdigit() or not end.isdigit():
            raise RealTurnError(f"{where}, field labels: {item!r} is not start:end=label")
        if not 0 <= int(start) < int(end) <= length:
            raise RealTurnError(f"{where}, field labels: {item!r} lies outside the turn")
        spans.append((int(start), int(end), LABEL_TYPES[label]))
    return spans


def half(key: str) -> str:
    """The half of the sample a record falls in, "development" or "held-out", by the first byte
    of its key's SHA-256: rules are tuned on the development half and checked on the other, and
    all turns of a record stay together."""
    return HALVES[hashlib.sha256(key.encode("utf-8")).digest()[0] % 2]


def load_real_turns(path: Path, realdata: Path = REALDATA) -> Iterator[tuple[str, list[Span]]]:
    """(text, spans) per labeled turn, read from `realdata` (see `labeled_turns`)."""
    for _key, text, spans in labeled_turns(path, realdata):
        yield text, spans


def labeled_turns(path: Path, realdata: Path = REALDATA) -> Iterator[tuple[str, str, list[Span]]]:
    """(record key, text, spans) per labeled turn, read from `realdata`; raises naming file, line
    and field when a turn is missing or its text is not the one the labels were made for."""
    files: dict[str, dict[tuple[str, int], str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{path}, line {number}"
        fields = line.split("\t")
        if len(fields) != 6 or not fields[2].isdigit():
            raise RealTurnError(f"{where}: expected 6 tab-separated fields, turn index a number")
        source, key, turn, digest, _stratum, labels = fields
        if source not in files:
            files[source] = _turns_of(realdata / source)
        text = files[source].get((key, int(turn)))
        if text is None:
            raise RealTurnError(f"{where}, field key: no turn {turn} of {key!r} in {source}")
        if hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] != digest:
            raise RealTurnError(f"{where}, field digest: the turn's text is not the one labeled")
        yield key, text, _spans(labels, where, len(text))


def strata(path: Path) -> dict[str, int]:
    """How many labeled turns each stratum of the sample holds."""
    counts: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            stratum = line.split("\t")[4]
            counts[stratum] = counts.get(stratum, 0) + 1
    return counts
