"""One key per warehouse: the warehouse records a fingerprint of the key that built it, and a run
with another key (or a key too short) stops before it writes anything."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.defs.ingest.assets import raw_tables
from pipelines.defs.partitions import drop_partitions
from pipelines.defs.privacy.assets import scrubbed_tables
from pipelines.privacy.warehouse_key import key_fingerprint
from tests.drops import prompts_only_drop

BUILDING_KEY = "the-key-that-built-this-warehouse"
OTHER_KEY = "another-key-of-enough-bytes-0123"
DROP_ID = "prompts-only"


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    """The bundled sample's prompts and annotators: a drop that is quick to scrub."""
    return prompts_only_drop(tmp_path / "drops" / DROP_ID)


def process(instance, warehouse, drop: Path, assets) -> dg.ExecuteInProcessResult:
    op_config = {
        "raw_tables": {"config": {"drops_dir": str(drop.parent)}},
        "scrubbed_tables": {"config": {"workers": 1}},
    }
    instance.add_dynamic_partitions(drop_partitions.name, [DROP_ID])
    return dg.materialize(
        assets,
        instance=instance,
        partition_key=DROP_ID,
        resources={"warehouse": warehouse},
        run_config={"ops": {asset.op.name: op_config[asset.op.name] for asset in assets}},
        raise_on_error=False,
    )


@pytest.fixture
def built(instance, warehouse, warehouse_path, drop, monkeypatch) -> Path:
    """A warehouse whose drop was ingested and scrubbed with BUILDING_KEY."""
    monkeypatch.setenv("PIPELINES_HASH_KEY", BUILDING_KEY)
    assert process(instance, warehouse, drop, [raw_tables, scrubbed_tables]).success
    return warehouse_path


def contents(warehouse: Path) -> dict[str, str]:
    """A digest of every table's rows: what a run must leave as it was."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        tables = conn.execute(
            "select schema_name, table_name from duckdb_tables() order by 1, 2"
        ).fetchall()
        return {
            f"{schema}.{table}": hashlib.sha256(
                repr(
                    conn.execute(f'select * from {schema}."{table}" order by all').fetchall()
                ).encode()
            ).hexdigest()
            for schema, table in tables
        }


def cli_run(*args: str) -> tuple[int, str]:
    """`pipelines run` in its own process, with this test's environment (warehouse, key)."""
    completed = subprocess.run(
        [sys.executable, "-m", "pipelines", "run", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return completed.returncode, completed.stdout + completed.stderr


def test_the_warehouse_records_a_fingerprint_of_its_key_never_the_key(built):
    with duckdb.connect(str(built), read_only=True) as conn:
        rows = conn.execute("select fingerprint from private.hash_key").fetchall()
    assert rows == [(key_fingerprint(BUILDING_KEY.encode()),)]
    fingerprint = rows[0][0]
    assert BUILDING_KEY not in fingerprint and BUILDING_KEY.encode().hex() not in fingerprint
    plain_hmacs = {hashlib.sha256(BUILDING_KEY.encode()).hexdigest()}
    assert fingerprint not in plain_hmacs


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, "PIPELINES_HASH_KEY is not set, and the warehouse was built with a key"),
        (OTHER_KEY, "PIPELINES_HASH_KEY is not the key the warehouse was built with"),
    ],
    ids=["development-key", "another-key"],
)
def test_a_cli_run_with_another_key_stops_before_writing_anything(
    built, drop, monkeypatch, key, expected
):
    before = contents(built)
    if key is None:
        monkeypatch.delenv("PIPELINES_HASH_KEY")
    else:
        monkeypatch.setenv("PIPELINES_HASH_KEY", key)
    exit_code, output = cli_run(str(drop))
    assert exit_code == 1
    assert expected in output and "nothing was written" in output
    assert f"== drop {DROP_ID}" not in output, "no drop was touched"
    assert BUILDING_KEY not in output
    assert key is None or key not in output
    assert contents(built) == before


def test_a_warehouse_built_with_the_development_key_refuses_a_real_key(
    instance, warehouse, warehouse_path, drop, monkeypatch
):
    monkeypatch.delenv("PIPELINES_HASH_KEY", raising=False)
    with pytest.warns(UserWarning, match="development key"):
        assert process(instance, warehouse, drop, [raw_tables, scrubbed_tables]).success
    before = contents(warehouse_path)
    monkeypatch.setenv("PIPELINES_HASH_KEY", OTHER_KEY)
    exit_code, output = cli_run(str(drop))
    assert exit_code == 1
    assert "the warehouse was built with the development key" in output
    assert contents(warehouse_path) == before


def test_the_ingest_and_scrub_assets_refuse_another_key_and_write_nothing(
    built, instance, warehouse, drop, monkeypatch
):
    before = contents(built)
    monkeypatch.setenv("PIPELINES_HASH_KEY", OTHER_KEY)
    for asset in (raw_tables, scrubbed_tables):
        result = process(instance, warehouse, drop, [asset])
        assert not result.success
        (failure,) = result.get_step_failure_events()
        description = failure.step_failure_data.user_failure_data.description
        assert "PIPELINES_HASH_KEY is not the key the warehouse was built with" in description
        assert OTHER_KEY not in description and BUILDING_KEY not in description
    assert contents(built) == before

    monkeypatch.setenv("PIPELINES_HASH_KEY", BUILDING_KEY)
    assert process(instance, warehouse, drop, [raw_tables, scrubbed_tables]).success


def test_a_key_too_short_is_refused_before_ingest(built, instance, warehouse, drop, monkeypatch):
    before = contents(built)
    monkeypatch.setenv("PIPELINES_HASH_KEY", "short")
    exit_code, output = cli_run(str(drop))
    assert exit_code == 1
    assert "PIPELINES_HASH_KEY must be at least 16 bytes, got 5; nothing was run" in output
    assert f"== drop {DROP_ID}" not in output
    for asset in (raw_tables, scrubbed_tables):
        result = process(instance, warehouse, drop, [asset])
        (failure,) = result.get_step_failure_events()
        description = failure.step_failure_data.user_failure_data.description
        assert description == "PIPELINES_HASH_KEY must be at least 16 bytes, got 5"
    assert contents(built) == before
