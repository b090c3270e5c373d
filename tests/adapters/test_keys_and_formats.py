"""Adapters resolve records by their own keys and account for every file of an export.

The exports here are written in the documented shapes with invented content.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.adapters import adapt
from pipelines.adapters.__main__ import main


@pytest.fixture(autouse=True)
def hash_key(monkeypatch):
    monkeypatch.setenv("PIPELINES_HASH_KEY", "a-test-key-of-enough-bytes")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def study_export(root: Path) -> Path:
    """A study-tool export with profiles and prompts, and no task2/task3 annotation files."""
    write_jsonl(
        root / "task5_items.jsonl",
        [
            {
                "user_id": f"persona-{user}",
                "source": "cupid",
                "prompt_index": user,
                "prompt_text": f"How should I plan a week of {topic}?",
                "profile_attributes": [
                    {"attribute": "keeps a vegetable garden", "reason": "", "confidence": 0.8},
                    {"attribute": "prefers short answers", "reason": "asks for brevity"},
                ],
            }
            for user, topic in enumerate(["meals", "training", "reading"])
        ],
    )
    return root


def by_source(report: dict) -> dict[str, dict]:
    return {s["source"]: s for s in report["sources"]}


def test_llm_relevance_lines_resolve_by_their_own_user_and_prompt_keys(tmp_path):
    export = study_export(tmp_path / "export")
    write_jsonl(
        export / "relevance_task3" / "judge-model.jsonl",
        [
            {
                "model": "judge-model",
                "user_id": f"persona-{user}",
                "prompt_index": user,
                "items": [
                    {"attribute": "keeps a vegetable garden", "relevant": user == 0},
                    {"attribute": "prefers short answers", "relevant": True, "raw_answer": "YES"},
                ],
            }
            for user in range(3)
        ],
    )
    report = adapt([export], tmp_path / "drop")
    counts = by_source(report)["relevance_task3/judge-model.jsonl"]
    assert counts == {**counts, "units_in": 6, "written": 6, "quarantined": 0}
    assert report["records_out"]["stage2_judgments"] == 6


def test_a_quarantine_reason_names_the_key_that_did_not_resolve(tmp_path):
    export = study_export(tmp_path / "export")
    write_jsonl(
        export / "behaviors" / "writer-model.jsonl",
        [
            {
                "model": "writer-model",
                "user_id": "persona-0",
                "prompt_index": 99,
                "items": [{"attribute": "prefers short answers", "explicit_behavior": "Be brief"}],
            },
            {
                "model": "writer-model",
                "prompt_index": 0,
                "items": [{"attribute": "prefers short answers", "implicit_behavior": "Be brief"}],
            },
        ],
    )
    report = adapt([export], tmp_path / "drop")
    reasons = by_source(report)["behaviors/writer-model.jsonl"]["reasons"]
    assert set(reasons) == {
        "expected_behaviors.prompt_index: has no prompt text in the drop (task4/task5 items, "
        "task3_relevance_clf)",
        "expected_behaviors.user_id: missing, and no sample_index of a task2/task3 item in the "
        "drop",
    }


def test_stage1_lines_that_name_user_and_attributes_need_no_task1_items(tmp_path):
    export = study_export(tmp_path / "export")
    write_jsonl(
        export / "annotations_v0" / "Ann_task1.jsonl",
        [
            {
                "task": "task1",
                "index": 7,
                "user_id": "persona-1",
                "attr_judgments": [
                    {"attribute": "keeps a vegetable garden", "judgment": "ok", "note": ""},
                    {"attribute": "prefers short answers", "judgment": "bad", "note": "a guess"},
                ],
                "missing_attrs": "",
                "overall_note": "",
                "flagged": False,
                "timestamp": "2026-01-05T10:00:00Z",
            }
        ],
    )
    report = adapt([export], tmp_path / "drop")
    (counts,) = [s for s in report["sources"] if s["source"].endswith("_task1.jsonl")]
    assert (counts["units_in"], counts["written"], counts["quarantined"]) == (3, 3, 0)


def test_an_unknown_file_of_an_export_is_listed_on_the_terminal_as_not_read(tmp_path, capsys):
    export = study_export(tmp_path / "export")
    write_jsonl(
        export / "generations" / "responses_no_context.jsonl",
        [{"user_id": "persona-0", "prompt_index": 0, "model": "m", "response": "Start small."}],
    )
    (export / "README.md").write_text("Invented notes.\n")
    assert main([str(export), str(tmp_path / "drop")]) == 0
    terminal = {
        line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()
    }
    assert (
        "not read: not a known study-tool export"
        in terminal["generations/responses_no_context.jsonl"]
    )
    assert "not read: documentation" in terminal["README.md"]
    assert terminal["task5_items.jsonl"].split()[1:4] == ["6", "6", "0"]
