"""Fixtures: a fixture warehouse with marts, a temporary local dataset repo, fixed options."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.release.build import ReleaseOptions
from pipelines.release.targets import LocalGitTarget
from tests.release import warehouse

MARTS_YML = """
models:
  - name: stage2_relevance
    columns:
      - name: user_id
        description: Keyed hash of the user.
      - name: consensus_relevant
        description: "Majority vote of the human annotators | true if relevant."
"""


@pytest.fixture
def warehouse_db(tmp_path: Path) -> Path:
    return warehouse.build(tmp_path / "warehouse.duckdb", n_users=40)


@pytest.fixture
def local_target(tmp_path: Path) -> LocalGitTarget:
    return LocalGitTarget(tmp_path / "dataset_repo")


@pytest.fixture
def marts_dir(tmp_path: Path) -> Path:
    """The project's marts .yml (keys and references from its tests), one description replaced."""
    folder = tmp_path / "marts"
    folder.mkdir()
    for path in (settings.DBT_PROJECT_DIR / "models" / "marts").glob("*.yml"):
        shutil.copy(path, folder / path.name)
    (folder / "zz_stage2_relevance.yml").write_text(MARTS_YML)
    return folder


@pytest.fixture
def options(marts_dir: Path) -> ReleaseOptions:
    return ReleaseOptions(
        repo_id="test-org/personalization",
        repo_url="https://huggingface.co/datasets/test-org/personalization",
        date="2026-07-01",
        seed="test-seed",
        ratios=dict(settings.DEFAULT_SPLIT_RATIOS),
        marts_dir=marts_dir,
    )
