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
        (buckets,) = re.findall(rf"{table}: \d+ input rows in (\d+) buckets", logged)
        assert int(buckets) > 1, table
        assert _rows(many_buckets, table) == _rows(one_bucket, table), table
