"""`pipelines run` over a drop whose model names carry a phone number: the records are quarantined
naming file, line and field, the run goes through, and no published file holds the number.

The drop is the bundled sample delivered again with the two values planted, on a copy of the
sample run's data folder (its texts are in the scrub's cache)."""

from __future__ import annotations

import json
import shutil

import duckdb
import pyarrow.parquet as pq

from pipelines import settings
from tests.end_to_end.test_hostile_runs import cli_run

PHONE = "415-555-0134"


def _plant(path, field: str) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0][field] = f"{rows[0][field]} {PHONE}"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_a_phone_in_a_model_name_is_quarantined_and_never_published(pipeline_run, tmp_path):
    drop = tmp_path / "drops" / settings.SAMPLE_DROP.name
    shutil.copytree(settings.SAMPLE_DROP, drop)
    _plant(drop / "conversations.jsonl", "model")
    _plant(drop / "stage3_items.jsonl", "generator_model")
    shutil.copytree(pipeline_run.data_dir, tmp_path / "data", symlinks=True)

    run = cli_run(tmp_path, str(drop), data_dir=tmp_path / "data")

    assert run.exit_code == 0, run.output
    assert PHONE not in run.output
    with duckdb.connect(str(run.data_dir / "warehouse.duckdb"), read_only=True) as conn:
        refused = conn.execute(
            "select _file, _line, field from raw.quarantine "
            "where reason like 'holds an identifier%' order by all"
        ).fetchall()
    assert refused == [
        ("conversations.jsonl", 1, "model"),
        ("stage3_items.jsonl", 1, "generator_model"),
    ]
    files = sorted((run.release_dir / "data").rglob("*.parquet"))
    assert {path.parent.name for path in files} >= {
        "conversations",
        "stage3_preferences",
        "metrics",
    }
    for path in files:
        assert PHONE not in json.dumps(pq.read_table(path).to_pylist(), default=str), path
