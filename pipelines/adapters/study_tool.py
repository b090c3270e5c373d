"""The study's annotation-tool exports (orange0629/personalize-annotation) as a contract drop.

Natural keys link the files: user id (WildChat hashed IP or a benchmark persona id), the tool's
prompt index (its text comes from task4/task5 items and task3_relevance_clf) or the prompt text,
and the attribute text. Ids: `prompt_id` is a hash of the prompt text (so the same prompt from any
file is one prompt), `attribute_id` a keyed hash of (user id, attribute text), a stage-3
`item_id` a keyed hash of (user id, prompt text, generator). Human annotators are the name or
platform ID of the file name (`<annotator>_task<N>.jsonl`; raw landing only: the privacy stage
hashes it); LLM judges are `llm:<model>`. Sources are read newest first (task5 before the older
task4 snapshot), and a later record that differs from one already written is quarantined.
See docs/adapters.md for every mapping and what is quarantined why.
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
STAGE1_LABELS = {"ok": "accepted", "unsure": "uncertain", "bad": "rejected"}
RATINGS = {
    "necessary_explicit",
    "necessary_implicit",
    "optional",
    "unnecessary",
    "forbidden",
    "none",
}
CONVERTED_NOTE = " [converted from task2]"
CHECKLIST_REASON = (
    "checklist expected_behavior: the export records no generator model and no "
    "explicit/implicit split, which expected_behaviors requires"
)


def is_study_tool(path: Path) -> bool:
    return path.is_dir() and (
        (path / "annotations_v0").is_dir()
        or any(path.rglob("task[1-6]_items.jsonl"))
        or any(path.rglob("*_task[1-3].jsonl"))
    )


def prompt_id(text: str) -> str:
    return "prompt_" + hashlib.sha256(text.encode()).hexdigest()[:16]


def attribute_id(user_id: str, text: str) -> str:
    return keyed_id("attr", user_id, text)


def _blank(value: Any) -> Any:
    """The tool saves an untouched text box as ""; that is no note, not an empty note."""
    return None if value == "" else value


class StudyToolAdapter:
    def __init__(
        self,
        writer: DropWriter,
        root: Path,
        lima: dict[str, str] | None = None,
        user_index: Path | None = None,
    ):
        self.writer = writer
        self.root = root
        self.lima = lima or {}
        self.user_index = user_index
        self.files = sorted(p for p in root.rglob("*.jsonl"))
        self.prompt_texts: dict[int, str] = {}
        self.samples: dict[int, tuple[str, int]] = {}
        self.evidence: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        self.evidence_used: dict[str, set[int]] = defaultdict(set)
        self.task1_items: dict[int, dict[str, Any]] = {}

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

    # Lookups: small tables read whole before the streaming pass.
    def load_lookups(self) -> None:
        for name in ["task4_items.jsonl", "task5_items.jsonl", "task3_relevance_clf.jsonl"]:
            for path in self.named(name):
                for _, _, row in read_units(path):
                    if isinstance(row, dict) and "prompt_index" in row and row.get("prompt_text"):
                        self.prompt_texts.setdefault(row["prompt_index"], row["prompt_text"])
        for path in self.annotation_files("2") + self.annotation_files("3"):
            for _, _, row in read_units(path):
                if isinstance(row, dict) and {"index", "user_id", "prompt_index"} <= row.keys():
                    self.samples.setdefault(row["index"], (row["user_id"], row["prompt_index"]))
        for path in self.named("attr_evidence_cache.jsonl"):
            for line, _, row in read_units(path):
                if isinstance(row, dict) and row.get("cache_key"):
                    self.evidence[row["cache_key"]] = (line, row.get("evidence") or [])
        for path in self.named("task1_items.jsonl"):
            for _, _, row in read_units(path):
                if isinstance(row, dict) and "item_index" in row:
                    self.task1_items[row["item_index"]] = row
        self.writer.lookups["prompt_index -> text"] = f"{len(self.prompt_texts)} prompts"
        self.writer.lookups["task2/3 index -> (user, prompt)"] = f"{len(self.samples)} samples"

    def annotation_files(self, task: str) -> list[Path]:
        return [p for p in self.files if (m := ANNOTATION_FILE.match(p.name)) and m["task"] == task]

    def run(self) -> None:
        self.load_lookups()
        for path in self.named("task5_items.jsonl"):
            self.profile_items(path, "profile_attributes")
        for path in self.named("task4_items.jsonl"):
            self.profile_items(path, "merged_attributes")
        for path in self.named("task1_items.jsonl"):
            self.profile_items(path, "merged_attributes")
        for path in self.named("attr_evidence_cache.jsonl"):
            self.evidence_file(path)
        for path in self.named("task6_items.jsonl"):
            self.stage3_items(path)
        for path in self.annotation_files("1"):
            self.stage1(path)
        for path in self.annotation_files("2") + self.annotation_files("3"):
            self.stage2_human(path)
        for path in self.files:
            if path.parent.name.startswith("relevance"):
                self.stage2_llm(path)
            elif path.parent.name == "behaviors":
                self.behaviors(path)
        for path in self.named("task3_relevance_clf.jsonl"):
            self.relevance_clf(path)
        self.list_not_read()

    def list_not_read(self) -> None:
        """Every other file of the export, with why it is not read."""
        read = {
            "task1_items.jsonl",
            "task4_items.jsonl",
            "task5_items.jsonl",
            "task6_items.jsonl",
            "attr_evidence_cache.jsonl",
            "task3_relevance_clf.jsonl",
        }
        for path in sorted(p for p in self.root.rglob("*") if p.is_file()):
            if path == self.user_index or (
                path.name in read
                or ANNOTATION_FILE.match(path.name)
                or (path.suffix == ".jsonl" and path.parent.name.startswith("relevance"))
                or (path.suffix == ".jsonl" and path.parent.name == "behaviors")
            ):
                continue
            if path.name.endswith(("-shm", "-wal")):
                why = "SQLite journal of the index beside it, read with it when that index is read"
            elif path.suffix == ".db":
                why = "an SQLite index that no contract export is built from"
            elif path.suffix in {".md", ".txt"}:
                why = "documentation, not an export"
            else:
                why = "not a known study-tool export"
            self.writer.not_read[self.label(path)] = why

    # Records shared by many units.
    def prompt(self, text: str) -> tuple[str, dict[str, Any]]:
        record = {"prompt_id": prompt_id(text), "prompt_text": text, "source": "lima"}
        if text in self.lima:
            record["source_id"] = self.lima[text]
        return "prompts", record

    def bare_attribute(self, user_id: str, text: str) -> tuple[str, dict[str, Any]]:
        return "attributes", {
            "attribute_id": attribute_id(user_id, text),
            "user_id": user_id,
            "attribute": text,
        }

    def human(self, name: str) -> tuple[str, dict[str, Any]]:
        record = {"annotator_id": name, "kind": "human"}
        if PLATFORM_ID.match(name):
            record["platform"] = "prolific"
        return "annotators", record

    def llm(self, model: str) -> tuple[str, dict[str, Any]]:
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

    # task4/task5 (and task1) items: users, attributes, synthetic conversations, checklists.
    def profile_items(self, path: Path, attributes_field: str) -> None:
        counts = self.writer.source(self.label(path), "attribute, conversation or checklist item")
        for line, _, row in read_units(path):
            if self.bad_line(counts, line, row, {"user_id", attributes_field}):
                continue
            user_id = str(row["user_id"])
            source = row.get("source", "wildchat")
            evidence_line, evidence = self.evidence.get(f"{source}:{user_id}", (0, []))
            conversations = [c for c in row.get("conversations") or [] if c.get("conversation")]
            linkable = len(evidence) == len(row[attributes_field]) and source != "wildchat"
            for position, attribute in enumerate(row[attributes_field]):
                record = {
                    "attribute_id": attribute_id(user_id, attribute.get("attribute", "")),
                    "user_id": user_id,
                    "attribute": attribute.get("attribute"),
                    "reason": _blank(attribute.get("reason")),
                    "confidence": attribute.get("confidence"),
                    "merged_from": attribute.get("original_attributes") or [],
                }
                if linkable:
                    pointer = evidence[position]
                    index = pointer.get("conv_idx")
                    if index is not None and 0 <= index < len(conversations):
                        record["evidence"] = [
                            {
                                "conversation_id": conversations[index]["conversation_hash"],
                                "turn_indexes": pointer.get("turn_idxs") or [],
                            }
                        ]
                    if index is None or "evidence" in record:
                        self.evidence_used[f"{source}:{user_id}"].add(position)
                record = {k: v for k, v in record.items() if v is not None}
                prompt = [self.prompt(row["prompt_text"])] if row.get("prompt_text") else []
                self.writer.unit(
                    counts,
                    line,
                    f"{attributes_field}[{position}]",
                    [("attributes", record)],
                    prompt,
                )
            for position, conversation in enumerate(row.get("conversations") or []):
                self.writer.unit(
                    counts,
                    line,
                    f"conversations[{position}]",
                    [
                        (
                            "conversations",
                            {
                                "conversation_id": conversation.get("conversation_hash"),
                                "source": source,
                                "source_kind": "real" if source == "wildchat" else "synthetic",
                                "user_id": user_id,
                                "turns": conversation.get("conversation") or [],
                            },
                        )
                    ],
                )
            for position, _ in enumerate(row.get("items") or []):
                self.writer.reject(
                    counts,
                    line,
                    f"items[{position}]",
                    "expected_behaviors",
                    "generator_model",
                    CHECKLIST_REASON,
                )

    def evidence_file(self, path: Path) -> None:
        """Evidence pointers were attached to attributes; count which ones, and why not the rest."""
        counts = self.writer.source(self.label(path), "evidence pointer")
        for line, _, row in read_units(path):
            if self.bad_line(counts, line, row, {"cache_key", "evidence"}):
                continue
            used = self.evidence_used.get(row["cache_key"], set())
            for position, _ in enumerate(row["evidence"]):
                item = f"evidence[{position}]"
                if position in used:
                    counts.units_in += 1
                    counts.written += 1
                elif row.get("source") == "wildchat":
                    self.writer.reject(
                        counts,
                        line,
                        item,
                        "attributes",
                        "evidence.conversation_id",
                        "conv_idx indexes the tool's per-user WildChat conversation list, which "
                        "is not in the export",
                    )
                else:
                    self.writer.reject(
                        counts,
                        line,
                        item,
                        "attributes",
                        "evidence",
                        "the user's item list (conversations and attribute order) is not in "
                        "the drop, or its attribute count differs",
                    )

    # task6: generic versus personalized responses.
    def stage3_items(self, path: Path) -> None:
        counts = self.writer.source(self.label(path), "response pair")
        for line, _, row in read_units(path):
            if self.bad_line(counts, line, row, {"user_id", "prompt_text", "model_tag"}):
                continue
            user_id = row["user_id"]
            attributes = row.get("attributes") or []
            record = {
                "item_id": keyed_id("item", user_id, row["prompt_text"], row["model_tag"]),
                "user_id": user_id,
                "prompt_id": prompt_id(row["prompt_text"]),
                "generator_model": row["model_tag"],
                "generic_response": row.get("response_no_context"),
                "personalized_response": row.get("response_personalized"),
                "attribute_ids": [
                    attribute_id(user_id, a["attribute"])
                    for a in attributes
                    if a.get("is_relevant") is True
                ],
            }
            self.writer.unit(
                counts,
                line,
                "(line)",
                [("stage3_items", record)],
                [
                    self.prompt(row["prompt_text"]),
                    *(self.bare_attribute(user_id, a["attribute"]) for a in attributes),
                ],
            )

    # task1: stage-1 judgments per attribute position, and one review per (annotator, user).
    def stage1(self, path: Path) -> None:
        annotator = ANNOTATION_FILE.match(path.name)["annotator"]
        counts = self.writer.source(self.label(path), "attribute judgment or profile review")
        for line, _, row in read_units(path):
            if self.bad_line(counts, line, row, {"attr_judgments"}):
                continue
            judgments = row["attr_judgments"]
            user_id = row.get("user_id")
            texts = [judgment.get("attribute") for judgment in judgments]
            if user_id is None or None in texts:
                # No keys of its own: `index` points into the tool's task1_items.jsonl.
                item = self.task1_items.get(row.get("index"))
                attributes = (item or {}).get("merged_attributes") or []
                if item is None or len(attributes) != len(judgments):
                    reason = (
                        "the line names no user_id and attribute texts, and its index matches "
                        "no item of task1_items.jsonl in the drop"
                        if item is None
                        else "the task1 item's attribute count differs from the judgments'"
                    )
                    for position in range(len(judgments)):
                        self.writer.reject(
                            counts,
                            line,
                            f"attr_judgments[{position}]",
                            "stage1_judgments",
                            "index",
                            reason,
                        )
                    self.writer.reject(counts, line, "(review)", "stage1_reviews", "index", reason)
                    continue
                user_id = user_id or item["user_id"]
                texts = [t or a["attribute"] for t, a in zip(texts, attributes, strict=True)]
            for position, (judgment, text) in enumerate(zip(judgments, texts, strict=True)):
                record = {
                    "annotator_id": annotator,
                    "attribute_id": attribute_id(user_id, text),
                    "label": STAGE1_LABELS.get(judgment.get("judgment"), judgment.get("judgment")),
                    "note": _blank(judgment.get("note")),
                    "flagged": row.get("flagged", False),
                    "timestamp": row.get("timestamp"),
                }
                self.writer.unit(
                    counts,
                    line,
                    f"attr_judgments[{position}]",
                    [("stage1_judgments", _drop_none(record))],
                    [self.human(annotator), self.bare_attribute(user_id, text)],
                )
            review = {
                "annotator_id": annotator,
                "user_id": user_id,
                "missing_attributes": _blank(row.get("missing_attrs")),
                "overall_note": _blank(row.get("overall_note")),
                "flagged": row.get("flagged", False),
                "timestamp": row.get("timestamp"),
            }
            self.writer.unit(
                counts,
                line,
                "(review)",
                [("stage1_reviews", _drop_none(review))],
                [self.human(annotator)],
            )

    # task2 (graded) and task3 (yes/no): human stage-2 judgments.
    def stage2_human(self, path: Path) -> None:
        match = ANNOTATION_FILE.match(path.name)
        annotator, task = match["annotator"], match["task"]
        counts = self.writer.source(self.label(path), "relevance judgment")
        for line, _, row in read_units(path):
            if self.bad_line(counts, line, row, {"user_id", "relevance_judgments"}):
                continue
            text = row.get("prompt_text") or self.prompt_texts.get(row.get("prompt_index"))
            note = row.get("note") or ""
            converted = note.endswith(CONVERTED_NOTE)
            for position, judgment in enumerate(row["relevance_judgments"]):
                item = f"relevance_judgments[{position}]"
                if text is None:
                    self.writer.reject(
                        counts,
                        line,
                        item,
                        "stage2_judgments",
                        "prompt_index",
                        "has no prompt text in the drop (task4/task5 items, task3_relevance_clf)"
                        if "prompt_index" in row
                        else "missing, and the line has no prompt_text",
                    )
                    continue
                relevant = judgment.get("is_relevant" if task == "2" else "relevant")
                if relevant is None:
                    self.writer.reject(
                        counts, line, item, "stage2_judgments", "relevant", "not judged (null)"
                    )
                    continue
                user_id = row["user_id"]
                record = {
                    "annotator_id": annotator,
                    "user_id": user_id,
                    "attribute_id": attribute_id(user_id, judgment.get("attribute", "")),
                    "prompt_id": prompt_id(text),
                    "relevant": relevant,
                    "rating": judgment.get("rating"),
                    "model_suggested_relevant": judgment.get("was_relevant"),
                    "relevance_score": judgment.get("relevance_score"),
                    "note": _blank(note.removesuffix(CONVERTED_NOTE)),
                    "flagged": row.get("flagged", False),
                    "timestamp": row.get("timestamp"),
                }
                earlier = self.writer.existing("stage2_judgments", record)
                if task == "3" and earlier is not None:
                    same = earlier["relevant"] == relevant
                    self.writer.reject(
                        counts,
                        line,
                        item,
                        "stage2_judgments",
                        "relevant",
                        ("duplicates" if same else "contradicts")
                        + " the same annotator's task2 judgment"
                        + (" (task3 line converted from task2)" if converted else ""),
                    )
                    continue
                self.writer.unit(
                    counts,
                    line,
                    item,
                    [("stage2_judgments", _drop_none(record))],
                    [
                        self.human(annotator),
                        self.prompt(text),
                        self.bare_attribute(user_id, judgment.get("attribute", "")),
                    ],
                )

    def user_and_prompt(self, counts: SourceCounts, line: int, row: Any, item: str, stem: str):
        """(user id, prompt text) of an LLM record, or None after quarantining it.

        The record's own keys come first: `user_id`, then `prompt_text` or `prompt_index`. Its
        `sample_index` (a position among the task2/task3 items) stands in only for a key the
        record lacks. The reason names the key that is missing or does not resolve.
        """
        sample = self.samples.get(row.get("sample_index"))
        user_id = row.get("user_id") or (sample[0] if sample else None)
        index = row.get("prompt_index")
        if index is None and sample is not None and sample[0] == user_id:
            index = sample[1]
        if user_id is None:
            key, reason = (
                "user_id",
                "missing, and no sample_index of a task2/task3 item in the drop",
            )
        elif row.get("prompt_text"):
            return user_id, row["prompt_text"]
        elif index is None:
            key = "prompt_index"
            reason = (
                "missing, and no sample_index of a task2/task3 item of the same user in the drop"
            )
        elif index in self.prompt_texts:
            return user_id, self.prompt_texts[index]
        else:
            key = "prompt_index"
            reason = "has no prompt text in the drop (task4/task5 items, task3_relevance_clf)"
        self.writer.reject(counts, line, item, stem, key, reason)
        return None

    def stage2_llm(self, path: Path) -> None:
        counts = self.writer.source(self.label(path), "relevance judgment")
        for line, _, row in read_units(path):
            if self.bad_line(counts, line, row, {"model", "items"}):
                continue
            for position, judgment in enumerate(row["items"]):
                item = f"items[{position}]"
                found = self.user_and_prompt(counts, line, row, item, "stage2_judgments")
                if found is None:
                    continue
                user_id, text = found
                if judgment.get("relevant") is None:
                    self.writer.reject(
                        counts,
                        line,
                        item,
                        "stage2_judgments",
                        "relevant",
                        "no answer parsed (null)",
                    )
                    continue
                record = {
                    "annotator_id": f"llm:{row['model']}",
                    "user_id": user_id,
                    "attribute_id": attribute_id(user_id, judgment.get("attribute", "")),
                    "prompt_id": prompt_id(text),
                    "relevant": judgment["relevant"],
                    "raw_answer": judgment.get("full_output") or judgment.get("raw_answer"),
                }
                self.writer.unit(
                    counts,
                    line,
                    item,
                    [("stage2_judgments", _drop_none(record))],
                    [
                        self.llm(row["model"]),
                        self.prompt(text),
                        self.bare_attribute(user_id, judgment.get("attribute", "")),
                    ],
                )

    def behaviors(self, path: Path) -> None:
        counts = self.writer.source(self.label(path), "expected behavior")
        for line, _, row in read_units(path):
            if self.bad_line(counts, line, row, {"model", "items"}):
                continue
            for position, behavior in enumerate(row["items"]):
                item = f"items[{position}]"
                found = self.user_and_prompt(counts, line, row, item, "expected_behaviors")
                if found is None:
                    continue
                user_id, text = found
                record = {
                    "user_id": user_id,
                    "attribute_id": attribute_id(user_id, behavior.get("attribute", "")),
                    "prompt_id": prompt_id(text),
                    "generator_model": row["model"],
                    "explicit_behavior": _blank(behavior.get("explicit_behavior")),
                    "implicit_behavior": _blank(behavior.get("implicit_behavior")),
                }
                self.writer.unit(
                    counts,
                    line,
                    item,
                    [("expected_behaviors", _drop_none(record))],
                    [
                        self.prompt(text),
                        self.bare_attribute(user_id, behavior.get("attribute", "")),
                    ],
                )

    def relevance_clf(self, path: Path) -> None:
        """Its prompts land; its labels aggregate human task3 votes, which the models recompute."""
        counts = self.writer.source(self.label(path), "prompt of a classifier row")
        for line, _, row in read_units(path):
            if self.bad_line(counts, line, row, {"prompt_text"}):
                continue
            self.writer.unit(counts, line, "(line)", [], [self.prompt(row["prompt_text"])])


def _drop_none(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}


def load_lima(path: Path) -> dict[str, str]:
    """LIMA prompt text -> `lima_<n>` id, from a `{question_id, question}` JSONL."""
    return {
        row["question"]: row["question_id"]
        for _, _, row in read_units(path)
        if isinstance(row, dict) and "question" in row and "question_id" in row
    }
