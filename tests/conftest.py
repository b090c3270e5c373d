"""Shared fixtures: a temporary warehouse and Dagster instance for every test that wants them."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from pipelines import settings


@pytest.fixture
def warehouse_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh DuckDB file; DUCKDB_PATH points at it so dbt and Dagster agree."""
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("DUCKDB_PATH", str(path))
    monkeypatch.setenv("PIPELINES_DATA_DIR", str(tmp_path / "data"))
    return path


@pytest.fixture
def warehouse(warehouse_path: Path) -> DuckDBResource:
    return DuckDBResource(database=str(warehouse_path))


@pytest.fixture
def instance() -> dg.DagsterInstance:
    """A real (temporary, on-disk) instance, so schedules and sensors can read it too."""
    with dg.instance_for_test() as temporary:
        yield temporary


@pytest.fixture(scope="session")
def sample_drop() -> Path:
    return settings.SAMPLE_DROP
