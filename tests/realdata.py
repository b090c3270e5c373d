"""The real exports of ../shared/realdata, whole or cut to a deterministic subset.

The files are read by path and never copied into the repository. The default run works on a cut
made at test time in a temporary folder: every kind of file of every export, each with fewer users,
so a real run takes minutes rather than a quarter of an hour (its cost is the scrub of the
conversations' text). The cut keeps, per export:

- the study tool's export: indexes, prompt texts and stage-1 judgments whole; the human stage-2
  judgments cut to their first users; every other file with a user per line (task4, task5 and
  task6 items, evidence, LLM labels and behaviours) cut to its own first users, and the lines that
  give the kept human judgments their prompts' text;
- WildChat: the first conversations of the file;
- ShareGPT: every part of the first shares in name order, of the first shares in several parts
  (one user each) and of every share whose human turns hold an e-mail address or a phone number,
  and the folder's files that are not conversations.

The whole exports run in the tests marked `slow` (`.venv/bin/pytest -m slow`).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pipelines import settings

REALDATA = settings.PROJECT_ROOT.parent / "shared" / "realdata"
STUDY = REALDATA / "study-annotation-tool"
WILDCHAT = REALDATA / "wildchat-589" / "wildchat589_salvaged.jsonl"
SHAREGPT = REALDATA / "sharegpt-1000" / "sampled_enriched_data"
LIMA = REALDATA / "lima-prompts" / "lima.jsonl"

# The study tool's files without a per-user cut: the human judgments (stage 2: cut to their first
# users on their own), and the prompt texts by index.
WHOLE_FILES = re.compile(r"(_task[1-3]|^task3_relevance_clf)\.jsonl$")
HUMAN_RELEVANCE = re.compile(r"_task[23]\.jsonl$")
SHARE_PART = re.compile(r"^(?P<share>.+)_(?P<part>\d+)\.json$")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
US_PHONE = re.compile(r"\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b")

USERS_PER_FILE = 2
JUDGED_USERS = 10
WILDCHAT_CONVERSATIONS = 20
SHAREGPT_SHARES = 6
SHAREGPT_MULTIPART_SHARES = 2


def sharegpt_user_turns(limit: int) -> list[str]:
    """The first `limit` human turns of the ShareGPT export, in file-name order; files that are
    not a conversation are skipped."""
    texts: list[str] = []
    for path in sorted(SHAREGPT.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(record, dict):
            texts += [
                turn["value"]
                for turn in record.get("conversations", [])
                if turn.get("from") == "human" and turn.get("value")
            ]
        if len(texts) >= limit:
            break
    return texts[:limit]


@dataclass(frozen=True)
class RealExports:
    study: Path
    wildchat: Path
    sharegpt: Path
    lima: Path
    whole: bool


WHOLE = RealExports(STUDY, WILDCHAT, SHAREGPT, LIMA, whole=True)


def available() -> bool:
    return STUDY.is_dir()


def _lines(path: Path) -> list[tuple[str, dict | None]]:
    """Each non-blank line with its record (None when it is not a JSON object: kept as it is)."""
    rows = []
    for text in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        rows.append((text, value if isinstance(value, dict) else None))
    return rows


def _users(path: Path, field: str = "user_id") -> list[str]:
    """The users of a file, in first-seen order."""
    seen: dict[str, None] = {}
    for _, row in _lines(path):
        if row is not None and row.get(field) is not None:
            seen.setdefault(str(row[field]), None)
    return list(seen)


def _per_user_files(study: Path) -> list[Path]:
    """The export's JSONL files with a user on each line, other than the human judgments."""
    return [
        path
        for path in sorted(study.rglob("*.jsonl"))
        if not WHOLE_FILES.search(path.name) and _users(path)
    ]


def _prompt_indexes(paths: list[Path]) -> set[int]:
    return {
        row["prompt_index"]
        for path in paths
        for _, row in _lines(path)
        if row is not None and row.get("prompt_index") is not None
    }


def _kept(path: Path, users: set[str]) -> list[tuple[str, dict | None]]:
    """The lines of a file kept for these users (and every line that names no user)."""
    return [
        (text, row)
        for text, row in _lines(path)
        if row is None or row.get("user_id") is None or str(row["user_id"]) in users
    ]


def _cut_study(out: Path) -> None:
    """The human stage-2 judgments keep the lines of their first users; every other file with a
    user per line keeps the lines of its own first users, and the first line giving the text of a
    prompt those judgments name when no other kept line does; the other files are copied whole."""
    per_user = _per_user_files(STUDY)
    human = {
        path: _kept(path, set(_users(path)[:JUDGED_USERS]))
        for path in STUDY.rglob("*.jsonl")
        if HUMAN_RELEVANCE.search(path.name)
    }
    missing = {
        row["prompt_index"]
        for rows in human.values()
        for _, row in rows
        if row is not None and row.get("prompt_index") is not None
    } - _prompt_indexes(list(STUDY.rglob("task3_relevance_clf.jsonl")))
    for path in sorted(p for p in STUDY.rglob("*") if p.is_file()):
        target = out / path.relative_to(STUDY)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path in human:
            target.write_text("".join(text for text, _ in human[path]), encoding="utf-8")
            continue
        if path not in per_user:
            shutil.copyfile(path, target)
            continue
        users = set(_users(path)[:USERS_PER_FILE])
        kept = []
        for text, row in _lines(path):
            if row is None or row.get("user_id") is None or str(row["user_id"]) in users:
                kept.append(text)
                missing.discard(row and row.get("prompt_index"))
            elif row.get("prompt_text") and row.get("prompt_index") in missing:
                kept.append(text)
                missing.discard(row["prompt_index"])
        target.write_text("".join(kept), encoding="utf-8")


def _has_contact(path: Path) -> bool:
    record = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(record, dict):
        return False
    return any(
        EMAIL.search(turn.get("value", "")) or US_PHONE.search(turn.get("value", ""))
        for turn in record.get("conversations", [])
        if turn.get("from") == "human"
    )


def _cut_sharegpt(out: Path) -> None:
    out.mkdir(parents=True)
    parts: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(SHAREGPT.iterdir()):
        match = SHARE_PART.match(path.name)
        if match:
            parts[match["share"]].append(path)
        else:
            shutil.copyfile(path, out / path.name)
    shares = sorted(parts)
    keep = set(shares[:SHAREGPT_SHARES])
    keep.update([s for s in shares if len(parts[s]) > 1][:SHAREGPT_MULTIPART_SHARES])
    keep.update(s for s in shares if any(_has_contact(p) for p in parts[s]))
    for share in keep:
        for path in parts[share]:
            shutil.copyfile(path, out / path.name)


def at(out: Path) -> RealExports:
    """The exports of a cut made under `out`."""
    return RealExports(
        out / STUDY.name,
        out / WILDCHAT.parent.name / WILDCHAT.name,
        out / SHAREGPT.parent.name / SHAREGPT.name,
        LIMA,
        whole=False,
    )


def cut(out: Path) -> RealExports:
    """The subset of the real exports described above, written under `out`."""
    exports = at(out)
    _cut_study(exports.study)
    exports.wildchat.parent.mkdir(parents=True)
    with WILDCHAT.open(encoding="utf-8") as source:
        head = [line for _, line in zip(range(WILDCHAT_CONVERSATIONS), source, strict=False)]
    exports.wildchat.write_text("".join(head), encoding="utf-8")
    _cut_sharegpt(exports.sharegpt)
    return exports
