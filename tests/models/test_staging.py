"""Staging shows one row per key: a record delivered again in a later drop replaces the earlier one
(in `scrubbed`, which the staging views read), and a record delivered once is kept as it is."""

from __future__ import annotations

import duckdb

from tests.models import model_fixtures
from tests.models.conftest import create_scrubbed_schema, load_records, materialize_models


def test_a_record_delivered_again_replaces_the_earlier_one(tmp_path):
    records = model_fixtures.records()
    judgment = records["stage2_judgments"][0]
    prompt = records["prompts"][0]
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        create_scrubbed_schema(conn)
        load_records(conn, records, drop_id="drop-1")
        load_records(
            conn,
            {
                "prompts": [{**prompt, "prompt_text": "Prompt, corrected"}],
                "stage2_judgments": [{**judgment, "relevant": not judgment["relevant"]}],
            },
            drop_id="drop-2",
        )
    result = materialize_models(path, tmp_path / "data")
    assert result.success
    with duckdb.connect(str(path), read_only=True) as conn:
        prompts = {
            prompt_id: (text, drop)
            for prompt_id, text, drop in conn.execute(
                "select prompt_id, prompt_text, drop_id from main.stg_prompts"
            ).fetchall()
        }
        judgments = conn.execute(
            "select annotator_id, attribute_id, prompt_id, relevant, drop_id "
            "from main.stg_stage2_judgments"
        ).fetchall()
    assert prompts == {
        p["prompt_id"]: ("Prompt, corrected", "drop-2")
        if p is prompt
        else (p["prompt_text"], "drop-1")
        for p in records["prompts"]
    }
    key = (judgment["annotator_id"], judgment["attribute_id"], judgment["prompt_id"])
    assert len(judgments) == len(records["stage2_judgments"])
    assert [row[3:] for row in judgments if row[:3] == key] == [
        (not judgment["relevant"], "drop-2")
    ]
    assert {row[4] for row in judgments if row[:3] != key} == {"drop-1"}
