"""Fixtures: private copies of the sample build (tests/sample_build.py) to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.sample_build import SampleBuild


@pytest.fixture
def sample_copy(sample_build: SampleBuild, tmp_path: Path, monkeypatch) -> SampleBuild:
    """A private copy of the sample to break; DUCKDB_PATH and the data folder point at it."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_build.warehouse, warehouse)
    release = tmp_path / "release"
    shutil.copytree(sample_build.release, release)
    monkeypatch.setenv("DUCKDB_PATH", str(warehouse))
    monkeypatch.setenv("PIPELINES_DATA_DIR", str(tmp_path / "data"))
    return SampleBuild(warehouse, release)
