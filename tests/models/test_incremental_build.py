"""A build that rebuilds only the touched users: the bucketed models rebuild those users' keys and
give the tables of a full rebuild; the dbt tests read the rows those users' changes can make fail,
and still find a key a touched user shares with an untouched one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.models.conftest import (
    BUCKETED,
    materialize_models,
    model_rows,
)

# Every table a user's rows reach; the metric tables' floating-point sums may differ in their last
# bits from run to run, so the published `metrics` (rounded) stands for them.
COMPARED = (
    *BUCKETED,
    "int_user_histories",
    "int_stage1_judgments",
    "int_stage2_judgments",
    "int_stage3_ratings",
    "users",
    "stage1_attributes",
    "stage2_relevance",
    "stage3_preferences",
    "metrics",
)


@pytest.fixture
def built(edge_case_build, tmp_path, monkeypatch) -> Path:
    """A copy of the edge-case build (warehouse, data folder and whatever dbt's target folders
    kept), with dbt's target folders in the test's folder."""
    path, result = edge_case_build
    assert result.success
    for name in ("warehouse.duckdb", "data", "dbt-target"):
        source = path.parent / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, symlinks=True)
        elif source.exists():
            shutil.copyfile(source, tmp_path / name)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt-target"))
    monkeypatch.delenv("PIPELINES_FULL_REBUILD", raising=False)
    return tmp_path / "warehouse.duckdb"


def test_touched_users_rebuilt_alone_give_the_tables_of_a_full_rebuild(
    built, tmp_path, monkeypatch, capfd
):
    with duckdb.connect(str(built)) as conn:
        (turn_user,) = conn.execute("select min(user_id) from main.conversations").fetchone()
        (item_user,) = conn.execute("select max(user_id) from main.stage2_relevance").fetchone()
        conn.execute(
            "update scrubbed.turns set content = content || ' (edited)' where conversation_id = "
            "(select min(conversation_id) from scrubbed.conversations where user_id = ?)",
            [turn_user],
        )
        conn.execute(
            "update scrubbed.stage2_judgments set relevant = not relevant where attribute_id = "
            "(select min(attribute_id) from scrubbed.attributes where user_id = ?)",
            [item_user],
        )
        conn.execute("update scrubbed.stage3_ratings set rating = 6 - rating")
    full = tmp_path / "full.duckdb"
    shutil.copyfile(built, full)

    capfd.readouterr()
    assert materialize_models(built, tmp_path / "data").success
    logged = capfd.readouterr().out
    for table in BUCKETED:
        assert f"{table}: " in logged and "touched users only" in logged.split(f"{table}: ")[1]
    monkeypatch.setenv("PIPELINES_FULL_REBUILD", "true")
    assert materialize_models(full, tmp_path / "full-data").success

    for table in COMPARED:
        assert model_rows(built, table) == model_rows(full, table), table


def test_a_touched_users_tests_find_a_key_shared_with_an_untouched_user(built, tmp_path):
    """A new user's attribute reuses the id of another user's: only the new user is touched, and
    the uniqueness test, which reads the touched users' keys, fails the build."""
    with duckdb.connect(str(built)) as conn:
        conn.execute(
            "insert into scrubbed.attributes by name select * replace ("
            "'user_new' as user_id, '_drop_new' as _drop_id) "
            "from scrubbed.attributes order by attribute_id limit 1"
        )
    assert not materialize_models(built, tmp_path / "data").success

    kept = list((tmp_path / "dbt-target").glob("*/run_results.json"))
    assert len(kept) == 1, "the failed build keeps its target folder, the first build's went"
    results = kept[0]
    statuses = {
        r["unique_id"].split(".")[2]: r["status"]
        for r in json.loads(results.read_text())["results"]
    }
    assert statuses["unique_stg_attributes_attribute_id"] == "fail"
    compiled = next(results.parent.rglob("unique_stg_attributes_attribute_id.sql")).read_text()
    assert "touched_users" in compiled, "the test read the touched users' keys, not every row"
