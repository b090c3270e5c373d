"""LLM outputs of the tool: relevance labels (`relevance*/<model>.jsonl`), expected behaviors
(`behaviors/<model>.jsonl`), and the prompts of `task3_relevance_clf.jsonl`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.adapters.chat import read_units
from pipelines.adapters.study_export import (
    StudyExport,
    attribute_id,
    blank,
    drop_none,
    prompt_id,
)
from pipelines.adapters.writer import SourceCounts


class LlmOutputReader:
    """One LLM output file at a time; each record is keyed by its own user and prompt."""

    def __init__(self, export: StudyExport):
        self.export = export
        self.writer = export.writer

    def user_and_prompt(self, counts: SourceCounts, line: int, row: Any, item: str, stem: str):
        """(user id, prompt text) of an LLM record, or None after quarantining it.

        The record's own keys come first: `user_id`, then `prompt_text` or `prompt_index`. Its
        `sample_index` (a position among the task2/task3 items) stands in only for a key the
        record lacks. The reason names the key that is missing or does not resolve.
        """
        lookups = self.export.lookups
        sample = lookups.samples.get(row.get("sample_index"))
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
        elif index in lookups.prompt_texts:
            return user_id, lookups.prompt_texts[index]
        else:
            key = "prompt_index"
            reason = "has no prompt text in the drop (task4/task5 items, task3_relevance_clf)"
        self.writer.reject(counts, line, item, stem, key, reason)
        return None

    def relevance(self, path: Path) -> None:
        counts = self.writer.source(self.export.label(path), "relevance judgment")
        for line, _, row in read_units(path):
            if self.export.bad_line(counts, line, row, {"model", "items"}):
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
                    [("stage2_judgments", drop_none(record))],
                    [
                        self.export.llm(row["model"]),
                        self.export.prompt(text),
                        self.export.bare_attribute(user_id, judgment.get("attribute", "")),
                    ],
                )
        self.writer.finished(counts)

    def behaviors(self, path: Path) -> None:
        counts = self.writer.source(self.export.label(path), "expected behavior")
        for line, _, row in read_units(path):
            if self.export.bad_line(counts, line, row, {"model", "items"}):
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
                    "explicit_behavior": blank(behavior.get("explicit_behavior")),
                    "implicit_behavior": blank(behavior.get("implicit_behavior")),
                }
                self.writer.unit(
                    counts,
                    line,
                    item,
                    [("expected_behaviors", drop_none(record))],
                    [
                        self.export.prompt(text),
                        self.export.bare_attribute(user_id, behavior.get("attribute", "")),
                    ],
                )
        self.writer.finished(counts)

    def classifier_prompts(self, path: Path) -> None:
        """Its prompts land; its labels aggregate human task3 votes, which the models recompute."""
        counts = self.writer.source(self.export.label(path), "prompt of a classifier row")
        for line, _, row in read_units(path):
            if self.export.bad_line(counts, line, row, {"prompt_text"}):
                continue
            self.writer.unit(counts, line, "(line)", [], [self.export.prompt(row["prompt_text"])])
        self.writer.finished(counts)
