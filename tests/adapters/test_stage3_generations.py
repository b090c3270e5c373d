"""Stage-3 generation exports, one file per condition and model, are paired into stage3_items.

The files are written in the tool's documented shape
(`task6/eval_results_<task>_<condition>_<model>.jsonl`: user_id, prompt_id, prompt_text,
profile_attributes, items, mode, model, response) with invented content.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.adapters import adapt, adapter_quarantine_rows
from pipelines.adapters.__main__ import main
from pipelines.adapters.writer import QUARANTINE_FILE
from tests.ingest.test_ingest import ingest

MODEL = "gen-model-7b"
PROMPTS = [
    "How do I keep basil alive indoors?",
    "What should I pack for a weekend hike?",
    "How can I learn to read sheet music?",
    "What is a good way to start running?",
    "How do I write a polite complaint letter?",
]


@pytest.fixture(autouse=True)
def hash_key(monkeypatch):
    monkeypatch.setenv("PIPELINES_HASH_KEY", "a-test-key-of-enough-bytes")


def line(user: int, prompt: int, mode: str, response: str, model: str | None = MODEL) -> dict:
    attributes = [
        {
            "attribute": "keeps a vegetable garden",
            "reason": "asks about tomatoes",
            "confidence": 0.9,
        },
        {"attribute": "prefers short answers", "reason": "asks for brevity", "confidence": 0.7},
    ]
    row = {
        "user_id": f"persona-{user}",
        "prompt_id": f"persona-{user}_{prompt}",
        "prompt_text": PROMPTS[prompt],
        "profile_attributes": attributes,
        "items": [
            {
                "attribute": "keeps a vegetable garden",
                "expected_behavior": "The answer can draw on gardening experience.",
                "relevance": 0.7,
            }
        ],
        "mode": mode,
        "response": response,
    }
    if model:
        row["model"] = model
    return row


def write_lines(path: Path, rows: list[dict | str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


def generation_export(root: Path) -> Path:
    """Per condition and model: 2 pairs, one generic without its pair, one personalized without
    its pair, a pair whose personalized response is empty, a line that is not JSON, and a
    condition (gt_attributes) that stage3_items has no column for."""
    folder = root / "task6"
    write_lines(
        folder / f"eval_results_task5_no_context_{MODEL}.jsonl",
        [
            line(0, 0, "no_context", "Give it six hours of light and water when dry."),
            line(0, 1, "no_context", "Water, snacks, a map and layers."),
            line(1, 2, "no_context", "Start with the treble clef and note names."),
            line(1, 4, "no_context", "State the problem, the date and what you ask for."),
            '{"user_id": "persona-1", "prompt_text": ',
        ],
    )
    write_lines(
        folder / f"eval_results_task5_attributes_{MODEL}.jsonl",
        [
            line(0, 0, "attributes", "As a gardener you know the drill: sun, then water."),
            line(0, 1, "attributes", "Pack light: water, snacks, a map."),
            line(1, 3, "attributes", "Begin with run-walk intervals three times a week."),
            line(1, 4, "attributes", ""),
        ],
    )
    write_lines(
        folder / f"eval_results_task5_gt_attributes_{MODEL}.jsonl",
        [line(0, 0, "gt_attributes", "Sun and water, as your garden taught you.")],
    )
    return root


def quarantine(drop: Path) -> list[dict]:
    return [json.loads(text) for text in (drop / QUARANTINE_FILE).read_text().splitlines()]


def test_generation_files_are_paired_by_user_prompt_and_model(
    tmp_path, instance, warehouse, warehouse_path
):
    export = generation_export(tmp_path / "export")
    drop = tmp_path / "drops" / "generations"
    lines: list[str] = []
    report = adapt([export], drop, progress=lines.append)

    sources = {s["source"]: s for s in report["sources"]}
    generic = sources[f"task6/eval_results_task5_no_context_{MODEL}.jsonl"]
    personalized = sources[f"task6/eval_results_task5_attributes_{MODEL}.jsonl"]
    other = sources[f"task6/eval_results_task5_gt_attributes_{MODEL}.jsonl"]
    for s in report["sources"]:
        assert s["units_in"] == s["written"] + s["quarantined"], s["source"]
    assert (generic["units_in"], generic["written"], generic["quarantined"]) == (5, 2, 3)
    assert (personalized["units_in"], personalized["written"], personalized["quarantined"]) == (
        4,
        2,
        2,
    )
    assert (other["units_in"], other["written"], other["quarantined"]) == (1, 0, 1)
    assert report["records_out"]["stage3_items"] == 2

    items = [json.loads(t) for t in (drop / "stage3_items.jsonl").read_text().splitlines()]
    pairs = {(i["generic_response"], i["personalized_response"]) for i in items}
    assert pairs == {
        (
            "Give it six hours of light and water when dry.",
            "As a gardener you know the drill: sun, then water.",
        ),
        ("Water, snacks, a map and layers.", "Pack light: water, snacks, a map."),
    }
    assert {i["generator_model"] for i in items} == {MODEL}
    assert all(len(i["attribute_ids"]) == 1 for i in items)

    reasons = {(q["source"].split("_task5_")[1], q["line"]): q for q in quarantine(drop)}
    assert reasons[(f"no_context_{MODEL}.jsonl", 3)]["field"] == "(user_id, prompt_text, model)"
    assert (
        "personalized side of the pair is missing"
        in (reasons[(f"no_context_{MODEL}.jsonl", 3)]["reason"])
    )
    assert (
        "generic side of the pair is missing"
        in (reasons[(f"attributes_{MODEL}.jsonl", 3)]["reason"])
    )
    assert reasons[(f"attributes_{MODEL}.jsonl", 4)]["field"] == "personalized_response"
    assert reasons[(f"no_context_{MODEL}.jsonl", 4)]["reason"] == (
        f"its pair (task6/eval_results_task5_attributes_{MODEL}.jsonl line 4) was quarantined"
    )
    assert reasons[(f"no_context_{MODEL}.jsonl", 5)]["reason"].startswith("invalid JSON")
    assert reasons[(f"gt_attributes_{MODEL}.jsonl", 1)]["field"] == "condition"
    # The quarantine holds positions and reasons, never a response.
    assert "gardener" not in (drop / QUARANTINE_FILE).read_text()

    assert [x for x in lines if x.startswith("read task6/")] == [
        x for x in lines if "eval_results" in x
    ]
    assert len([x for x in lines if x.startswith("read ")]) == 3

    result = ingest(instance, warehouse, drop)
    assert result.success
    # The ingest asset logs a line per export file landed, with its rate and the files done.
    logged = [e.user_message for e in instance.all_logs(result.run_id)]
    landed_lines = [m for m in logged if m.startswith("ingested ")]
    exports = sorted(p.name for p in drop.glob("*.jsonl") if p.name != QUARANTINE_FILE)
    assert sorted(m.split(":")[0].removeprefix("ingested ") for m in landed_lines) == exports
    assert landed_lines[-1].endswith(f"; {len(exports)} of {len(exports)} files done")
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        landed = conn.execute("select count(*) from raw.stage3_items").fetchone()[0]
        rejected = conn.execute(
            "select count(*) from raw.ingested_files where rows_quarantined > 0"
        ).fetchone()[0]
    assert landed == 2 and rejected == 0
    assert sum(1 for _ in adapter_quarantine_rows(drop)) == 6


def test_a_model_named_only_by_the_file_pairs_and_the_cli_prints_progress(tmp_path, capsys):
    folder = tmp_path / "export" / "task6"
    write_lines(
        folder / "eval_results_task5_no_context_tiny-model.jsonl",
        [line(2, 0, "no_context", "Light and water.", model=None)],
    )
    write_lines(
        folder / "eval_results_task5_attributes_tiny-model.jsonl",
        [line(2, 0, "attributes", "Light, water, and your garden's compost.", model=None)],
    )
    write_lines(
        folder / "eval_results_task5_no_context.jsonl",
        [line(2, 1, "no_context", "Water and a map.", model=None)],
    )
    drop = tmp_path / "drops" / "tiny"
    assert main([str(tmp_path / "export"), str(drop)]) == 0
    (item,) = [json.loads(t) for t in (drop / "stage3_items.jsonl").read_text().splitlines()]
    assert item["generator_model"] == "tiny-model"
    (row,) = quarantine(drop)
    assert (row["source"], row["field"]) == ("task6/eval_results_task5_no_context.jsonl", "model")
    printed = capsys.readouterr()
    progress = [x for x in printed.err.splitlines() if x.startswith("read ")]
    assert len(progress) == 3
    assert all("files done" in x for x in progress)
    assert "read " not in printed.out


def test_a_long_source_gets_a_progress_line_while_it_is_read(tmp_path, monkeypatch):
    from pipelines.adapters import writer

    monkeypatch.setattr(writer, "PROGRESS_SECONDS", 0.0)
    monkeypatch.setattr(writer, "_PROGRESS_CHECK_UNITS", 2)
    export = generation_export(tmp_path / "export")
    lines: list[str] = []
    adapt([export], tmp_path / "drops" / "long", progress=lines.append)
    reading = [x for x in lines if x.startswith("reading ")]
    assert reading and all("units so far" in x for x in reading)
