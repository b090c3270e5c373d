"""The tool's user profiles: task4/task5 (and task1) items give users' attributes, synthetic
conversations and checklist items; `attr_evidence_cache.jsonl` points attributes at the turns
that support them."""

from __future__ import annotations

from pathlib import Path

from pipelines.adapters.chat import read_units
from pipelines.adapters.study_export import StudyExport, attribute_id, blank

CHECKLIST_REASON = (
    "checklist expected_behavior: the export records no generator model and no "
    "explicit/implicit split, which expected_behaviors requires"
)


class ProfileReader:
    """Attributes, conversations and checklist items of the item files, then the evidence."""

    def __init__(self, export: StudyExport):
        self.export = export
        self.writer = export.writer
        self.lookups = export.lookups

    def items(self, path: Path, attributes_field: str) -> None:
        counts = self.writer.source(
            self.export.label(path), "attribute, conversation or checklist item"
        )
        for line, _, row in read_units(path):
            if self.export.bad_line(counts, line, row, {"user_id", attributes_field}):
                continue
            user_id = str(row["user_id"])
            source = row.get("source", "wildchat")
            evidence = self.lookups.evidence.get(f"{source}:{user_id}", (0, []))[1]
            conversations = [c for c in row.get("conversations") or [] if c.get("conversation")]
            linkable = len(evidence) == len(row[attributes_field]) and source != "wildchat"
            for position, attribute in enumerate(row[attributes_field]):
                record = {
                    "attribute_id": attribute_id(user_id, attribute.get("attribute", "")),
                    "user_id": user_id,
                    "attribute": attribute.get("attribute"),
                    "reason": blank(attribute.get("reason")),
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
                        self.lookups.evidence_used[f"{source}:{user_id}"].add(position)
                record = {k: v for k, v in record.items() if v is not None}
                prompt = [self.export.prompt(row["prompt_text"])] if row.get("prompt_text") else []
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
        self.writer.finished(counts)

    def evidence(self, path: Path) -> None:
        """Evidence pointers were attached to attributes; count which ones, and why not the rest."""
        counts = self.writer.source(self.export.label(path), "evidence pointer")
        for line, _, row in read_units(path):
            if self.export.bad_line(counts, line, row, {"cache_key", "evidence"}):
                continue
            used = self.lookups.evidence_used.get(row["cache_key"], set())
            for position, _ in enumerate(row["evidence"]):
                item = f"evidence[{position}]"
                if position in used:
                    self.writer.accounted(counts)
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
        self.writer.finished(counts)
