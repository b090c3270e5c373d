"""The study's annotation-tool exports (orange0629/personalize-annotation) as a contract drop.

Natural keys link the files: user id (WildChat hashed IP or a benchmark persona id), the tool's
prompt index (its text comes from task4/task5 items and task3_relevance_clf) or the prompt text,
and the attribute text; a stage-3 `item_id` is a keyed hash of (user id, prompt text,
generator). Sources are read newest first (task5 before the older task4 snapshot), and a later
record that differs from one already written is quarantined. Each kind of file has its reader:
profiles (`study_profiles`), human judgments (`study_judgments`), LLM outputs (`study_llm`),
stage-3 responses (`study_stage3`); `study_export` holds what they share.
See docs/adapters.md for every mapping and what is quarantined why.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.adapters.chat import read_units
from pipelines.adapters.study_export import ANNOTATION_FILE, StudyExport
from pipelines.adapters.study_judgments import HumanJudgmentReader
from pipelines.adapters.study_llm import LlmOutputReader
from pipelines.adapters.study_profiles import ProfileReader
from pipelines.adapters.study_stage3 import Stage3Reader, is_generation_file
from pipelines.adapters.writer import DropWriter

READ_BY_NAME = {
    "task1_items.jsonl",
    "task4_items.jsonl",
    "task5_items.jsonl",
    "task6_items.jsonl",
    "attr_evidence_cache.jsonl",
    "task3_relevance_clf.jsonl",
}


def is_study_tool(path: Path) -> bool:
    return path.is_dir() and (
        (path / "annotations_v0").is_dir()
        or any(path.rglob("task[1-6]_items.jsonl"))
        or any(path.rglob("*_task[1-3].jsonl"))
        or any(path.rglob("eval_results_*.jsonl"))
    )


def _is_llm_output(path: Path) -> bool:
    return path.suffix == ".jsonl" and (
        path.parent.name.startswith("relevance") or path.parent.name == "behaviors"
    )


class StudyToolAdapter:
    """Reads one export folder: the lookups first, then every known file with its reader, then
    lists every other file with why it is not read."""

    def __init__(
        self,
        writer: DropWriter,
        root: Path,
        lima: dict[str, str] | None = None,
        user_index: Path | None = None,
    ):
        self.export = StudyExport(writer, root, lima)
        self.user_index = user_index

    def run(self) -> None:
        export = self.export
        export.lookups.load(export)
        profiles = ProfileReader(export)
        for path in export.named("task5_items.jsonl"):
            profiles.items(path, "profile_attributes")
        for name in ("task4_items.jsonl", "task1_items.jsonl"):
            for path in export.named(name):
                profiles.items(path, "merged_attributes")
        for path in export.named("attr_evidence_cache.jsonl"):
            profiles.evidence(path)
        stage3 = Stage3Reader(export)
        for path in export.named("task6_items.jsonl"):
            stage3.task6(path)
        generations = [p for p in export.files if is_generation_file(p)]
        if generations:
            stage3.generations(generations)
        judgments = HumanJudgmentReader(export)
        for path in export.annotation_files("1"):
            judgments.stage1(path)
        for path in export.annotation_files("2") + export.annotation_files("3"):
            judgments.stage2(path)
        llm = LlmOutputReader(export)
        for path in export.files:
            if path.parent.name.startswith("relevance"):
                llm.relevance(path)
            elif path.parent.name == "behaviors":
                llm.behaviors(path)
        for path in export.named("task3_relevance_clf.jsonl"):
            llm.classifier_prompts(path)
        self.list_not_read()

    def list_not_read(self) -> None:
        """Every other file of the export, with why it is not read."""
        for path in sorted(p for p in self.export.root.rglob("*") if p.is_file()):
            if path == self.user_index or (
                path.name in READ_BY_NAME
                or ANNOTATION_FILE.match(path.name)
                or is_generation_file(path)
                or _is_llm_output(path)
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
            self.export.writer.not_read[self.export.label(path)] = why


def load_lima(path: Path) -> dict[str, str]:
    """LIMA prompt text -> `lima_<n>` id, from a `{question_id, question}` JSONL."""
    return {
        row["question"]: row["question_id"]
        for _, _, row in read_units(path)
        if isinstance(row, dict) and "question" in row and "question_id" in row
    }
