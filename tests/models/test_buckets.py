"""A model built bucket by bucket (materialization bucketed_table) holds the same rows as one built
in a single query: no group is split across buckets, none is lost or repeated."""

from __future__ import annotations

import re
import shutil

import duckdb

from tests.models.conftest import materialize_models

BUCKETED = (
    "conversations",
    "int_stage1_human_votes",
    "int_stage2_human_votes",
    "int_stage2_llm_labels",
    "int_stage3_item_ratings",
)


def _rows(path, table: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(f"select * from main.{table} order by all").fetchall()


def _buckets(logged: str, table: str) -> list[str]:
    return re.findall(rf"{table}: \d+ input rows \(\d+ bytes counted\) in (\d+) buckets", logged)


def test_many_buckets_give_the_rows_of_one(sample_build, tmp_path, monkeypatch, capfd):
    one_bucket, result = sample_build
    assert result.success
    many_buckets = tmp_path / "warehouse.duckdb"
    shutil.copyfile(one_bucket, many_buckets)
    monkeypatch.setenv("PIPELINES_DBT_ROWS_PER_BUCKET", "40")
    capfd.readouterr()

    assert materialize_models(many_buckets, tmp_path / "data").success

    logged = capfd.readouterr().out
    for table in BUCKETED:
        (buckets,) = _buckets(logged, table)
        assert int(buckets) > 1, table
        assert _rows(many_buckets, table) == _rows(one_bucket, table), table


def test_a_model_weighing_its_rows_in_bytes_gets_buckets_by_bytes(
    sample_build, tmp_path, monkeypatch, capfd
):
    """conversations weighs its turns' text: long turns make more buckets at the same row count."""
    one_bucket, _ = sample_build
    by_bytes = tmp_path / "warehouse.duckdb"
    shutil.copyfile(one_bucket, by_bytes)
    monkeypatch.setenv("PIPELINES_DBT_BYTES_PER_BUCKET", "100000")
    capfd.readouterr()

    assert materialize_models(by_bytes, tmp_path / "data").success

    logged = capfd.readouterr().out
    (buckets,) = _buckets(logged, "conversations")
    assert int(buckets) > 1
    assert _buckets(logged, "int_stage2_llm_labels") == ["1"], "a model without a weight: rows only"
    assert _rows(by_bytes, "conversations") == _rows(one_bucket, "conversations")
