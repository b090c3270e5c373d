"""The dbt project object, built once, with a manifest that matches the project's files."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from pipelines import settings

# The dbt of this environment, found without relying on PATH (`.venv/bin/python -m pipelines`
# runs with the virtualenv's bin folder off PATH).
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
_SOURCE_GLOBS = ("dbt_project.yml", "profiles.yml", "models/**/*", "macros/**/*", "tests/**/*")


def dbt_cli_resource(project: DbtProject) -> DbtCliResource:
    return DbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE)


def manifest_is_stale(project: DbtProject) -> bool:
    """No manifest yet, or one older than a file of the project."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    return any(
        path.stat().st_mtime > built
        for pattern in _SOURCE_GLOBS
        for path in Path(project.project_dir).glob(pattern)
        if path.is_file()
    )


@functools.cache
def dbt_project() -> DbtProject:
    """The project, its manifest prepared with `dbt parse` when missing or stale (and always
    under `dagster dev`), so a fresh clone runs without a setup step."""
    project = DbtProject(
        project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR
    )
    if using_dagster_dev() or manifest_is_stale(project):
        dbt_cli_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project
