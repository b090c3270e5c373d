"""An increment built incrementally publishes the same bytes as a full rebuild.

Drop A is run with `python -m pipelines run` (the real dbt project on a real DuckDB file, the
real scrub and release), and the working folder is copied. Then an increment drop B, with new
users, is run on one copy as a scheduled run does it (only the release shards whose rows changed
are exported, and the per-user dbt models rebuild only the touched users) and on the other with
`--full-rebuild` (every dbt model in full, every file exported). The two releases' Parquet files,
their manifests' content identities and every mart must be identical, and the incremental run
must have kept files the full one rewrote.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.sample.generator import SampleConfig, generate
from tests.sample_run import pipeline_env

HASH_KEY = "a-test-key-of-the-incremental-release-0123"
# Small shards, so that the corpus has several and an increment leaves most of them untouched.
SHARD_USERS = "4"
FIRST_DROP, FIRST_CONVERSATIONS = "d001-first", 110
SECOND_DROP, SECOND_CONVERSATIONS = "d002-increment", 40
MARTS = (
    "conversations",
    "users",
    "stage1_attributes",
    "stage2_relevance",
    "stage3_preferences",
    "prompts",
    "metrics",
)


def _env(workdir: Path) -> dict[str, str]:
    return {
        **pipeline_env(workdir),
        "PIPELINES_HASH_KEY": HASH_KEY,
        "PIPELINES_RELEASE_SHARD_USERS": SHARD_USERS,
        "PIPELINES_DROPS_DIR": str(workdir / "drops"),
    }


def _start(workdir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=workdir,
        env=_env(workdir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=1800)
    assert process.returncode == 0, output[-5000:]
    return output


def _run(workdir: Path, *args: str) -> str:
    return _finish(_start(workdir, *args))


def _generate(workdir: Path, drop: str, conversations: int, **options) -> None:
    generate(SampleConfig(out=workdir / "drops" / drop, conversations=conversations, **options))


def _published(workdir: Path) -> dict[str, str]:
    """sha256 of every Parquet file of the release repo's latest release."""
    repo = Path(_env(workdir)["PIPELINES_RELEASE_DIR"])
    return {
        path.relative_to(repo).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((repo / "data").rglob("*.parquet"))
    }


def _manifest(workdir: Path) -> dict:
    repo = Path(_env(workdir)["PIPELINES_RELEASE_DIR"])
    return json.loads((repo / "release.json").read_text())


def _files_exported(workdir: Path) -> int:
    repo = Path(_env(workdir)["PIPELINES_RELEASE_DIR"])
    message = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%B"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(re.search(r"Files: (\d+) exported", message).group(1))


def _dbt_scope(workdir: Path) -> str:
    """What the last run's dbt build rebuilt, as its log says."""
    log = sorted((workdir / "data" / "logs").glob("run-*.log"))[-1]
    return re.findall(r"dbt build: (.+)", log.read_text())[-1].strip()


def _marts(workdir: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(_env(workdir)["DUCKDB_PATH"], read_only=True) as conn:
        return {
            mart: conn.execute(f'select * from main."{mart}" order by all').fetchall()
            for mart in MARTS
        }


def test_an_increment_publishes_the_bytes_of_a_full_rebuild(tmp_path):
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    incremental.mkdir()
    _generate(incremental, FIRST_DROP, FIRST_CONVERSATIONS)
    _run(incremental, "-m", "pipelines", "run")
    first = _published(incremental)
    assert len({path.split("-")[1] for path in first if "/conversations/" in path}) > 2, first

    _generate(
        incremental,
        SECOND_DROP,
        SECOND_CONVERSATIONS,
        first_user=SampleConfig(out=incremental, conversations=FIRST_CONVERSATIONS).n_users,
        shared_tables=False,
    )
    shutil.copytree(incremental, full, symlinks=True)
    # The two runs work in separate folders: they run side by side.
    runs = [
        _start(incremental, "-m", "pipelines", "run", str(incremental / "drops" / SECOND_DROP)),
        _start(full, "-m", "pipelines", "run", "--full-rebuild", str(full / "drops" / SECOND_DROP)),
    ]
    try:
        for run in runs:
            _finish(run)
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()

    assert re.fullmatch(
        r"the per-user models rebuild [1-9]\d* touched users", _dbt_scope(incremental)
    )
    assert _dbt_scope(full) == "full refresh (asked for)"

    published = _published(incremental)
    assert published == _published(full)
    assert set(published) > set(first), "the increment's new users are in new files"
    kept = {path for path, digest in first.items() if published.get(path) == digest}
    assert kept, "files of shards without new rows are unchanged"
    assert _files_exported(full) == len(published)
    assert _files_exported(incremental) <= len(published) - len(kept)

    incremental_manifest, full_manifest = _manifest(incremental), _manifest(full)
    assert incremental_manifest["version"] == full_manifest["version"] == "1.1.0"
    assert incremental_manifest["configs"] == full_manifest["configs"]
    assert incremental_manifest["content_sha256"] == full_manifest["content_sha256"]
    assert _marts(incremental) == _marts(full)
