"""Fixtures: the sample built once per session for every worker (see sample_build and
tests/build_once.py), and private copies to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.build_once import build_once
from tests.quality.sample_build import SampleBuild, build_sample


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> SampleBuild:
    """Read it; a test that changes it takes `sample_copy`."""
    folder = build_once(tmp_path_factory, "quality-sample", build_sample)
    return SampleBuild(folder / "warehouse.duckdb", folder / "release")


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
