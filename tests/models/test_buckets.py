"""A model built bucket by bucket (materialization bucketed_table) holds the same rows as one built
in a single query: no group is split across buckets, none is lost or repeated."""

from __future__ import annotations

import re
import shutil

from tests.models.conftest import BUCKETED, materialize_models, model_rows


def _buckets(logged: str, table: str) -> list[str]:
    return re.findall(rf"{table}: \d+ input rows \(\d+ bytes counted\) in (\d+) buckets", logged)


def _rebuilt_with(setting: str, value: str, sample_build, tmp_path, monkeypatch, capfd):
    """A copy of the sample warehouse with its models built again under one bucket setting; the
    copy and dbt's log."""
    one_bucket = sample_build.warehouse
    rebuilt = tmp_path / "warehouse.duckdb"
    shutil.copyfile(one_bucket, rebuilt)
    monkeypatch.setenv(setting, value)
    capfd.readouterr()
    # The bucketed models alone, on the sample's built inputs.
    assert materialize_models(rebuilt, tmp_path / "data", BUCKETED).success
    return rebuilt, capfd.readouterr().out


# Every bucketed model of the sample (2,500 to 32,000 input rows) gets 3 to 32 buckets: groups meet
# bucket boundaries in each, at a few dbt queries per bucket.
ROWS_PER_BUCKET = "1000"


def test_many_buckets_give_the_rows_of_one(sample_build, tmp_path, monkeypatch, capfd):
    many_buckets, logged = _rebuilt_with(
        "PIPELINES_DBT_ROWS_PER_BUCKET", ROWS_PER_BUCKET, sample_build, tmp_path, monkeypatch, capfd
    )
    for table in BUCKETED:
        (buckets,) = _buckets(logged, table)
        assert int(buckets) > 1, table
        assert model_rows(many_buckets, table) == model_rows(sample_build.warehouse, table), table


def test_a_model_weighing_its_rows_in_bytes_gets_buckets_by_bytes(
    sample_build, tmp_path, monkeypatch, capfd
):
    """conversations weighs its turns' text: a small byte budget splits it, whatever its rows."""
    by_bytes, logged = _rebuilt_with(
        "PIPELINES_DBT_BYTES_PER_BUCKET", "100000", sample_build, tmp_path, monkeypatch, capfd
    )
    (buckets,) = _buckets(logged, "conversations")
    assert int(buckets) > 1
    assert _buckets(logged, "int_stage2_llm_labels") == ["1"], "a model without a weight: rows only"
    expected = model_rows(sample_build.warehouse, "conversations")
    assert model_rows(by_bytes, "conversations") == expected
