"""Human judgments of the tool: task1 (stage 1, per attribute, and one review per annotator and
user), task2 (stage 2, graded) and task3 (stage 2, yes/no)."""

from __future__ import annotations

from pathlib import Path

from pipelines.adapters.chat import read_units
from pipelines.adapters.study_export import (
    ANNOTATION_FILE,
    StudyExport,
    attribute_id,
    blank,
    drop_none,
    prompt_id,
)

STAGE1_LABELS = {"ok": "accepted", "unsure": "uncertain", "bad": "rejected"}
CONVERTED_NOTE = " [converted from task2]"


class HumanJudgmentReader:
    """One `<annotator>_task<N>.jsonl` file at a time."""

    def __init__(self, export: StudyExport):
        self.export = export
        self.writer = export.writer

    def stage1(self, path: Path) -> None:
        annotator = ANNOTATION_FILE.match(path.name)["annotator"]
        counts = self.writer.source(self.export.label(path), "attribute judgment or profile review")
        for line, _, row in read_units(path):
            if self.export.bad_line(counts, line, row, {"attr_judgments"}):
                continue
            judgments = row["attr_judgments"]
            user_id = row.get("user_id")
            texts = [judgment.get("attribute") for judgment in judgments]
            if user_id is None or None in texts:
                # No keys of its own: `index` points into the tool's task1_items.jsonl.
                item = self.export.lookups.task1_items.get(row.get("index"))
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
                    "note": blank(judgment.get("note")),
                    "flagged": row.get("flagged", False),
                    "timestamp": row.get("timestamp"),
                }
                self.writer.unit(
                    counts,
                    line,
                    f"attr_judgments[{position}]",
                    [("stage1_judgments", drop_none(record))],
                    [self.export.human(annotator), self.export.bare_attribute(user_id, text)],
                )
            review = {
                "annotator_id": annotator,
                "user_id": user_id,
                "missing_attributes": blank(row.get("missing_attrs")),
                "overall_note": blank(row.get("overall_note")),
                "flagged": row.get("flagged", False),
                "timestamp": row.get("timestamp"),
            }
            self.writer.unit(
                counts,
                line,
                "(review)",
                [("stage1_reviews", drop_none(review))],
                [self.export.human(annotator)],
            )
        self.writer.finished(counts)

    def stage2(self, path: Path) -> None:
        match = ANNOTATION_FILE.match(path.name)
        annotator, task = match["annotator"], match["task"]
        counts = self.writer.source(self.export.label(path), "relevance judgment")
        for line, _, row in read_units(path):
            if self.export.bad_line(counts, line, row, {"user_id", "relevance_judgments"}):
                continue
            text = row.get("prompt_text") or self.export.lookups.prompt_texts.get(
                row.get("prompt_index")
            )
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
                    "note": blank(note.removesuffix(CONVERTED_NOTE)),
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
                    [("stage2_judgments", drop_none(record))],
                    [
                        self.export.human(annotator),
                        self.export.prompt(text),
                        self.export.bare_attribute(user_id, judgment.get("attribute", "")),
                    ],
                )
        self.writer.finished(counts)
