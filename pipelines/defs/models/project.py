"""The dbt project object, built once, with a manifest that matches the project's files."""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev
from packaging.version import Version

from pipelines import settings

# The dbt of this environment, found without relying on PATH (`.venv/bin/python -m pipelines`
# runs with the virtualenv's bin folder off PATH).
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
_SOURCE_GLOBS = ("dbt_project.yml", "profiles.yml", "models/**/*", "macros/**/*", "tests/**/*")
PARTIAL_PARSE_FILE = "partial_parse.msgpack"


class ProjectDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two fixed costs it pays on every run (about 5 s, a run's
    largest fixed cost after dbt itself; docs/benchmarks.md) for what this project does not use:

    - the `dbt --version` subprocess: the dbt it runs is this environment's dbt-core;
    - an in-process dbt adapter, which dagster-dbt needs only to fetch row counts or column
      metadata; the assets read row counts themselves once dbt has closed the DuckDB file.

    Both override private members of dagster-dbt, pinned in pyproject.toml; a test runs the build.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_cli_resource(project: DbtProject) -> DbtCliResource:
    return ProjectDbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE)


@contextmanager
def dbt_environment() -> Iterator[None]:
    """dbt (a subprocess) reads the same DuckDB file, with the same memory cap, as Dagster.

    Both are set explicitly, the same way for `dbt parse` and `dbt build`: dbt hashes the profile
    (these values included) into its partial-parse state and reparses everything when it differs.
    """
    values = {
        "DUCKDB_PATH": str(settings.duckdb_path()),
        "PIPELINES_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit(),
    }
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def base_target_path(project: DbtProject) -> Path:
    """The target folder dagster-dbt seeds each invocation's own folder from (DBT_TARGET_PATH,
    else the project's), where the partial-parse state has to be for the next run to use it."""
    path = Path(os.environ.get("DBT_TARGET_PATH") or project.target_path)
    return path if path.is_absolute() else Path(project.project_dir) / path


def keep_partial_parse(invocation_target: Path, project: DbtProject) -> None:
    """Copy an invocation's partial-parse state back to the base target folder.

    dagster-dbt runs every invocation in a fresh folder and copies the base folder's state into it,
    but dbt writes the updated state only to the fresh folder; without copying it back, every run
    starts from the state of the last `dbt parse`, made with whichever profile that process had.
    """
    source = Path(invocation_target) / PARTIAL_PARSE_FILE
    if not source.is_file():
        return
    base = base_target_path(project)
    base.mkdir(parents=True, exist_ok=True)
    staged = base / f".{PARTIAL_PARSE_FILE}.{os.getpid()}"
    shutil.copyfile(source, staged)
    staged.replace(base / PARTIAL_PARSE_FILE)  # atomic: a concurrent run reads old or new


def source_files(project_dir: Path) -> list[Path]:
    """The dbt project's own files (configuration, models, macros, tests), in path order."""
    return sorted({path for g in _SOURCE_GLOBS for path in project_dir.glob(g) if path.is_file()})


def manifest_is_stale(project: DbtProject) -> bool:
    """No manifest yet, or one older than a file of the project."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    return any(path.stat().st_mtime > built for path in source_files(Path(project.project_dir)))


@functools.cache
def dbt_project() -> DbtProject:
    """The project, its manifest prepared with `dbt parse` when missing or stale (and always
    under `dagster dev`), so a fresh clone runs without a setup step.

    Processes that start together (test workers, a run and the UI) parse one at a time under a
    lock, and the manifest replaces the old one whole: nobody reads a half-written manifest, and
    a process that waited finds it current and does not parse again."""
    project = DbtProject(
        project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR
    )
    if not (using_dagster_dev() or manifest_is_stale(project)):
        return project
    target = Path(project.project_dir) / project.target_path
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if using_dagster_dev() or manifest_is_stale(project):
            _parse(project, target)
    return project


def _parse(project: DbtProject, target: Path) -> None:
    """`dbt parse` into a folder of its own, then its manifest and parse state moved into
    `target` (each an atomic rename)."""
    staging = Path(tempfile.mkdtemp(prefix=".parse-", dir=target))
    try:
        for name in (PARTIAL_PARSE_FILE,):
            if (target / name).is_file():
                shutil.copyfile(target / name, staging / name)
        with dbt_environment():
            dbt_cli_resource(project).cli(["parse", "--quiet"], target_path=staging).wait()
        for name in (PARTIAL_PARSE_FILE, "semantic_manifest.json", "manifest.json"):
            if (staging / name).is_file():
                (staging / name).replace(target / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
