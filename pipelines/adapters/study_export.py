"""What every reader of the study tool's export shares: its files, the lookups read before the
streaming pass, and the records many units refer to (a prompt, an attribute, an annotator).

Ids: `prompt_id` is a hash of the prompt text (so the same prompt from any file is one prompt),
`attribute_id` a keyed hash of (user id, attribute text). Human annotators are the name or
platform ID of the file name (`<annotator>_task<N>.jsonl`; raw landing only: the privacy stage
hashes it); LLM judges are `llm:<model>`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from pipelines.adapters.chat import read_units
from pipelines.adapters.writer import DropWriter, SourceCounts, keyed_id, pseudonym

ANNOTATION_FILE = re.compile(r"^(?P<annotator>.+)_task(?P<task>[1-3])\.jsonl$")
PLATFORM_ID = re.compile(r"^[0-9a-f]{24}$")

Record = tuple[str, dict[str, Any]]


def prompt_id(text: str) -> str:
    return "prompt_" + hashlib.sha256(text.encode()).hexdigest()[:16]


def attribute_id(user_id: str, text: str) -> str:
    return keyed_id("attr", user_id, text)


def blank(value: Any) -> Any:
    """The tool saves an untouched text box as ""; that is no note, not an empty note."""
    return None if value == "" else value


def drop_none(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}


class Lookups:
    """Small tables read whole before the streaming pass: prompt texts by the tool's prompt
    index, task2/task3 samples by index, evidence pointers by cache key, task1 items by index."""

    def __init__(self) -> None:
        self.prompt_texts: dict[int, str] = {}
        self.samples: dict[int, tuple[str, int]] = {}
        self.evidence: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        self.evidence_used: dict[str, set[int]] = defaultdict(set)
        self.task1_items: dict[int, dict[str, Any]] = {}

    def load(self, export: StudyExport) -> None:
        for name in ["task4_items.jsonl", "task5_items.jsonl", "task3_relevance_clf.jsonl"]:
            for path in export.named(name):
                for _, _, row in read_units(path):
                    if isinstance(row, dict) and "prompt_index" in row and row.get("prompt_text"):
                        self.prompt_texts.setdefault(row["prompt_index"], row["prompt_text"])
        for path in export.annotation_files("2") + export.annotation_files("3"):
            for _, _, row in read_units(path):
                if isinstance(row, dict) and {"index", "user_id", "prompt_index"} <= row.keys():
                    self.samples.setdefault(row["index"], (row["user_id"], row["prompt_index"]))
        for path in export.named("attr_evidence_cache.jsonl"):
            for line, _, row in read_units(path):
                if isinstance(row, dict) and row.get("cache_key"):
                    self.evidence[row["cache_key"]] = (line, row.get("evidence") or [])
        for path in export.named("task1_items.jsonl"):
            for _, _, row in read_units(path):
                if isinstance(row, dict) and "item_index" in row:
                    self.task1_items[row["item_index"]] = row
        export.writer.lookups["prompt_index -> text"] = f"{len(self.prompt_texts)} prompts"
        export.writer.lookups["task2/3 index -> (user, prompt)"] = f"{len(self.samples)} samples"


class StudyExport:
    """One export folder of the tool: its files, the lookups, and the shared records."""

    def __init__(self, writer: DropWriter, root: Path, lima: dict[str, str] | None = None):
        self.writer = writer
        self.root = root
        self.lima = lima or {}
        self.files = sorted(p for p in root.rglob("*.jsonl"))
        self.lookups = Lookups()

    def label(self, path: Path) -> str:
        """The file's path in the export, with an annotator's name or ID replaced by a pseudonym."""
        relative = path.relative_to(self.root)
        match = ANNOTATION_FILE.match(path.name)
        if match:
            name = f"annotator-{pseudonym(match['annotator'])}_task{match['task']}.jsonl"
            relative = relative.with_name(name)
        return str(relative)

    def named(self, name: str) -> list[Path]:
        return [p for p in self.files if p.name == name]

    def annotation_files(self, task: str) -> list[Path]:
        return [p for p in self.files if (m := ANNOTATION_FILE.match(p.name)) and m["task"] == task]

    def prompt(self, text: str) -> Record:
        record = {"prompt_id": prompt_id(text), "prompt_text": text, "source": "lima"}
        if text in self.lima:
            record["source_id"] = self.lima[text]
        return "prompts", record

    @staticmethod
    def bare_attribute(user_id: str, text: str) -> Record:
        return "attributes", {
            "attribute_id": attribute_id(user_id, text),
            "user_id": user_id,
            "attribute": text,
        }

    @staticmethod
    def human(name: str) -> Record:
        record = {"annotator_id": name, "kind": "human"}
        if PLATFORM_ID.match(name):
            record["platform"] = "prolific"
        return "annotators", record

    @staticmethod
    def llm(model: str) -> Record:
        return "annotators", {"annotator_id": f"llm:{model}", "kind": "llm", "model_name": model}

    def bad_line(self, counts: SourceCounts, line: int, row: Any, needs: set[str]) -> bool:
        """Quarantine a line that is not JSON or lacks the fields every unit of it needs."""
        if isinstance(row, json.JSONDecodeError):
            self.writer.reject(counts, line, "(line)", None, "(record)", f"invalid JSON: {row.msg}")
            return True
        missing = needs - row.keys() if isinstance(row, dict) else needs
        if missing:
            self.writer.reject(
                counts,
                line,
                "(line)",
                None,
                ", ".join(sorted(missing)),
                "missing in the source line",
            )
            return True
        return False
