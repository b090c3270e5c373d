"""Stage-3 response pairs: `task6_items.jsonl` (both responses on one line), and the generation
exports that come as one file per condition and model,
`eval_results_<task>_<condition>[_<model>].jsonl`, one response per (user, prompt, model) each:
`no_context` (the generic response) and `attributes` (the response personalized with the
user's extracted attributes). Those are paired by (user_id, prompt_text, model) into one
`stage3_items` record; a side without its pair is quarantined, naming the key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipelines.adapters.chat import read_units
from pipelines.adapters.study_export import StudyExport, attribute_id, prompt_id
from pipelines.adapters.writer import AdapterError, SourceCounts, keyed_id

GENERATION_FILE = re.compile(
    r"^eval_results_(?P<task>[^_]+)_(?P<condition>no_context|gt_attributes|attributes)"
    r"(?:_(?P<model>.+))?\.jsonl$"
)
GENERIC, PERSONALIZED = "no_context", "attributes"
PAIR_KEY = "(user_id, prompt_text, model)"
OTHER_CONDITION = (
    "condition {condition}: stage3_items pairs the no_context response with the one "
    "personalized from the extracted attributes (condition attributes); this condition has no "
    "column there"
)

Key = tuple[str, str, str]


def is_generation_file(path: Path) -> bool:
    return GENERATION_FILE.match(path.name) is not None


def _lines(path: Path) -> Iterator[tuple[int, int, Any]]:
    """(line number, byte offset, parsed JSON or the JSONDecodeError) of each non-blank line."""
    try:
        with path.open("rb") as handle:
            offset = 0
            for number, raw in enumerate(handle, start=1):
                if raw.strip():
                    try:
                        value: Any = json.loads(raw)
                    except json.JSONDecodeError as error:
                        value = error
                    except UnicodeDecodeError as error:
                        value = json.JSONDecodeError(f"not UTF-8 ({error.reason})", "", 0)
                    yield number, offset, value
                offset += len(raw)
    except OSError as error:
        raise AdapterError(f"{path}: cannot be read ({type(error).__name__}: {error})") from None


def _line_at(path: Path, offset: int) -> dict[str, Any]:
    with path.open("rb") as handle:
        handle.seek(offset)
        return json.loads(handle.readline())


class Stage3Reader:
    """Response pairs, from task6 items and from per-condition generation files."""

    def __init__(self, export: StudyExport):
        self.export = export
        self.writer = export.writer

    def task6(self, path: Path) -> None:
        counts = self.writer.source(self.export.label(path), "response pair")
        for line, _, row in read_units(path):
            if self.export.bad_line(counts, line, row, {"user_id", "prompt_text", "model_tag"}):
                continue
            user_id = row["user_id"]
            attributes = row.get("attributes") or []
            relevant = [a["attribute"] for a in attributes if a.get("is_relevant") is True]
            self._write_pair(
                counts,
                line,
                (user_id, row["prompt_text"], row["model_tag"]),
                row.get("response_no_context"),
                row.get("response_personalized"),
                relevant,
                [a["attribute"] for a in attributes],
            )
        self.writer.finished(counts)

    def _write_pair(
        self,
        counts: SourceCounts,
        line: int,
        key: Key,
        generic: Any,
        personalized: Any,
        relevant: list[str],
        attributes: list[str],
    ) -> bool:
        user_id, text, model = key
        record = {
            "item_id": keyed_id("item", user_id, text, model),
            "user_id": user_id,
            "prompt_id": prompt_id(text),
            "generator_model": model,
            "generic_response": generic,
            "personalized_response": personalized,
            "attribute_ids": list(dict.fromkeys(attribute_id(user_id, a) for a in relevant)),
        }
        return self.writer.unit(
            counts,
            line,
            "(line)",
            [("stage3_items", record)],
            [
                self.export.prompt(text),
                *(self.export.bare_attribute(user_id, a) for a in dict.fromkeys(attributes)),
            ],
        )

    def _key(self, counts: SourceCounts, line: int, row: Any, model: str | None) -> Key | None:
        """The pairing key of a generation line, or None after quarantining the line."""
        if self.export.bad_line(counts, line, row, {"user_id", "prompt_text", "response"}):
            return None
        model = row.get("model") or model
        if not model:
            self.writer.reject(
                counts,
                line,
                "(line)",
                "stage3_items",
                "model",
                "missing in the line and in the "
                "file name (eval_results_<task>_<condition>_<model>.jsonl)",
            )
            return None
        return str(row["user_id"]), row["prompt_text"], str(model)

    def _reject(self, counts: SourceCounts, line: int, field: str, reason: str) -> None:
        self.writer.reject(counts, line, "(line)", "stage3_items", field, reason)

    def generations(self, paths: list[Path]) -> None:
        """Pair the generic and the personalized response of each (user, prompt, model)."""
        files = [(path, GENERATION_FILE.match(path.name)) for path in paths]
        counts = {
            path: self.writer.source(self.export.label(path), "generated response")
            for path, _ in files
        }
        generic = self._index_generic(files, counts)
        paired = self._pair(files, counts, generic)
        for key, (path, line, _) in generic.items():
            outcome = paired.get(key)
            if outcome is None:
                self._reject(
                    counts[path],
                    line,
                    PAIR_KEY,
                    "no attributes response for this key in the drop: the personalized side of "
                    "the pair is missing",
                )
            elif outcome[0]:
                self.writer.accounted(counts[path])
            else:
                self._reject(
                    counts[path], line, PAIR_KEY, f"its pair ({outcome[1]}) was quarantined"
                )
        for path, _ in files:
            self.writer.finished(counts[path])

    def _index_generic(self, files: list, counts: dict) -> dict[Key, tuple[Path, int, int]]:
        """Key -> (file, line, byte offset) of every generic response; the response itself is
        read again when its pair is written, so no file is held in memory."""
        generic: dict[Key, tuple[Path, int, int]] = {}
        for path, match in files:
            if match["condition"] != GENERIC:
                continue
            for line, offset, row in _lines(path):
                key = self._key(counts[path], line, row, match["model"])
                if key is None:
                    continue
                if key in generic:
                    first, first_line, _ = generic[key]
                    self._reject(
                        counts[path],
                        line,
                        PAIR_KEY,
                        f"a second no_context response for this key (the first: "
                        f"{self.export.label(first)} line {first_line})",
                    )
                    continue
                generic[key] = (path, line, offset)
        return generic

    def _pair(
        self, files: list, counts: dict, generic: dict[Key, tuple[Path, int, int]]
    ) -> dict[Key, tuple[bool, str]]:
        """Write each personalized response with its generic one; key -> (written, where)."""
        paired: dict[Key, tuple[bool, str]] = {}
        for path, match in files:
            if match["condition"] == GENERIC:
                continue
            for line, _, row in _lines(path):
                key = self._key(counts[path], line, row, match["model"])
                if key is None:
                    continue
                if match["condition"] != PERSONALIZED:
                    reason = OTHER_CONDITION.format(condition=match["condition"])
                    self._reject(counts[path], line, "condition", reason)
                    continue
                if key not in generic:
                    self._reject(
                        counts[path],
                        line,
                        PAIR_KEY,
                        "no no_context response for this key in the drop: the generic side of "
                        "the pair is missing",
                    )
                    continue
                source, _, offset = generic[key]
                written = self._write_pair(
                    counts[path],
                    line,
                    key,
                    _line_at(source, offset).get("response"),
                    row["response"],
                    [i.get("attribute") for i in row.get("items") or [] if i.get("attribute")],
                    [
                        a.get("attribute")
                        for a in row.get("profile_attributes") or []
                        if a.get("attribute")
                    ],
                )
                paired.setdefault(key, (written, f"{self.export.label(path)} line {line}"))
        return paired
