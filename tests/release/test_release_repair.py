"""A release run stopped between tagging and checking out leaves `main` and the tag at the new
release and the working tree at the old one; the next run checks the new release out, so
`datasets.load_dataset(<repo folder>, config)` reads its files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest
from datasets import load_dataset

from pipelines.release.publish import publish_release
from pipelines.release.targets import GitError, LocalGitTarget
from tests.release import warehouse


def publish(db: Path, target: LocalGitTarget, options):
    with duckdb.connect(str(db), read_only=True) as conn:
        return publish_release(conn, target, options)


def released_version(repo: Path) -> str:
    return json.loads((repo / "release.json").read_text())["version"]


def test_a_release_stopped_before_its_checkout_is_checked_out_by_the_next_run(
    warehouse_db, local_target, options, monkeypatch, tmp_path
):
    repo = local_target.path
    publish(warehouse_db, local_target, options)
    warehouse.add_users(warehouse_db, 40, 45)

    def stopped(self: LocalGitTarget, tag: str) -> None:
        raise GitError(f"stopped before checking out {tag}")

    with monkeypatch.context() as crash:
        crash.setattr(LocalGitTarget, "_check_out", stopped)
        with pytest.raises(GitError, match="stopped before checking out v1.1.0"):
            publish(warehouse_db, local_target, options)
    assert local_target.tags() == ["v1.0.0", "v1.1.0"]
    assert released_version(repo) == "1.0.0", "the crash left the old files in the working tree"

    rerun = publish(warehouse_db, local_target, options)
    assert not rerun.published and rerun.version == "1.1.0", "the content is already released"
    assert released_version(repo) == "1.1.0"
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status == ""
    users = load_dataset(str(repo), "users", cache_dir=str(tmp_path / "hf-cache"))
    assert sum(split.num_rows for split in users.values()) == 45
