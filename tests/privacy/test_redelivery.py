"""Re-delivery follows delivery time: processing an older drop again after a newer one, through
the real ingest, scrub and models, leaves the newer drop's correction in raw, scrubbed and the
marts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from pipelines.ingest import land_drop
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.pseudonymizer import hash_identifier
from pipelines.privacy.scrub import scrub_drop
from tests.models.conftest import materialize_models
from tests.privacy.conftest import TEST_KEY

CORRECTED = "How should I plan a small vegetable garden on a balcony?"


def _drop(folder: Path, delivered_at: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "manifest.json").write_text(
        json.dumps({"drop_id": folder.name, "created_at": delivered_at})
    )
    return folder


def test_an_older_drop_processed_again_keeps_the_newer_correction_everywhere(
    generated_drop, scrubber_config: ScrubberConfig, tmp_path
):
    source, _ = generated_drop
    drops = tmp_path / "drops"
    # Named so that name order would put the correction first.
    older = _drop(shutil.copytree(source, drops / "z-export"), "2025-03-01T00:00:00Z")
    newer = _drop(drops / "a-correction", "2025-04-01T00:00:00Z")
    prompt = json.loads((older / "prompts.jsonl").read_text().splitlines()[0])
    (newer / "prompts.jsonl").write_text(json.dumps({**prompt, "prompt_text": CORRECTED}) + "\n")
    published_id = hash_identifier(TEST_KEY.encode(), "prompt_id", prompt["prompt_id"])

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        for folder in (older, newer, older):
            land_drop(conn, folder)
            scrub_drop(conn, folder.name, scrubber_config, TEST_KEY.encode(), workers=1)
        raw = conn.execute(
            "select _drop_id, prompt_text from raw.prompts where prompt_id = ?",
            [prompt["prompt_id"]],
        ).fetchall()
        scrubbed = conn.execute(
            "select _drop_id, prompt_text from scrubbed.prompts where prompt_id = ?",
            [published_id],
        ).fetchall()
    assert raw == [("a-correction", CORRECTED)]
    assert scrubbed == [("a-correction", CORRECTED)]

    assert materialize_models(warehouse, tmp_path / "data").success
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        published = conn.execute(
            "select prompt_text from main.prompts where prompt_id = ?", [published_id]
        ).fetchall()
        (prompts,) = conn.execute("select count(*) from main.prompts").fetchone()
    assert published == [(CORRECTED,)]
    assert prompts == len((older / "prompts.jsonl").read_text().splitlines())
