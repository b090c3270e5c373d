"""Fixtures: a fixture warehouse with marts, a temporary local dataset repo, fixed options, and
the first release of that warehouse with those options, published once for the session."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import settings
from pipelines.release.build import ReleaseOptions
from pipelines.release.publish import publish_release
from pipelines.release.targets import LocalGitTarget
from tests.build_once import build_once
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


def project_marts(folder: Path) -> Path:
    """The project's marts .yml (keys and references from its tests), one description replaced."""
    folder.mkdir()
    for path in (settings.DBT_PROJECT_DIR / "models" / "marts").glob("*.yml"):
        shutil.copy(path, folder / path.name)
    (folder / "zz_stage2_relevance.yml").write_text(MARTS_YML)
    return folder


def release_options(marts_dir: Path) -> ReleaseOptions:
    return ReleaseOptions(
        repo_id="test-org/personalization",
        repo_url="https://huggingface.co/datasets/test-org/personalization",
        date="2026-07-01",
        seed="test-seed",
        ratios=dict(settings.DEFAULT_SPLIT_RATIOS),
        marts_dir=marts_dir,
    )


@pytest.fixture
def marts_dir(tmp_path: Path) -> Path:
    return project_marts(tmp_path / "marts")


@pytest.fixture
def options(marts_dir: Path) -> ReleaseOptions:
    return release_options(marts_dir)


def _publish_first_release(folder: Path) -> None:
    db = warehouse.build(folder / "warehouse.duckdb", n_users=40)
    with duckdb.connect(str(db), read_only=True) as conn:
        publish_release(
            conn,
            LocalGitTarget(folder / "dataset_repo"),
            release_options(project_marts(folder / "marts")),
        )


@pytest.fixture(scope="session")
def first_release_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_once(tmp_path_factory, "first-release", _publish_first_release)


@pytest.fixture
def first_release(first_release_folder: Path, tmp_path: Path) -> LocalGitTarget:
    """v1.0.0 of the `warehouse_db` warehouse published with `options`, as a test's own copy: what
    `publish_release` makes of it, for the tests that read a first release."""
    repo = tmp_path / "first_release"
    shutil.copytree(first_release_folder / "dataset_repo", repo, symlinks=True)
    return LocalGitTarget(repo)


@pytest.fixture
def released(
    first_release_folder: Path, first_release: LocalGitTarget, tmp_path: Path
) -> tuple[Path, LocalGitTarget]:
    """The warehouse of the first release, as a test's own copy, and `first_release`: the state
    `publish_release` of `warehouse_db` with `options` leaves, for a test of the next release."""
    db = tmp_path / "first_release.duckdb"
    shutil.copyfile(first_release_folder / "warehouse.duckdb", db)
    return db, first_release
