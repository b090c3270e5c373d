"""The dbt project object, built once, with a manifest that matches the project's files."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster_dbt import DbtProject
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from pipelines import settings

if TYPE_CHECKING:
    from dbt.contracts.graph.manifest import Manifest

_SOURCE_GLOBS = ("dbt_project.yml", "profiles.yml", "models/**/*", "macros/**/*", "tests/**/*")
PARTIAL_PARSE_FILE = "partial_parse.msgpack"


@contextmanager
def dbt_environment() -> Iterator[None]:
    """dbt reads the same DuckDB file, with the same memory cap, as Dagster.

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
    """The target folder each invocation's own folder is seeded from (DBT_TARGET_PATH, else the
    project's), where the partial-parse state has to be for the next run to use it."""
    path = Path(os.environ.get("DBT_TARGET_PATH") or project.target_path)
    return path if path.is_absolute() else Path(project.project_dir) / path


def seed_partial_parse(invocation_target: Path, base: Path) -> None:
    """Start an invocation's fresh folder from the partial-parse state in `base`, if any."""
    if (base / PARTIAL_PARSE_FILE).is_file():
        shutil.copyfile(base / PARTIAL_PARSE_FILE, invocation_target / PARTIAL_PARSE_FILE)


def keep_partial_parse(invocation_target: Path, project: DbtProject) -> None:
    """Copy an invocation's partial-parse state back to the base target folder.

    Every invocation runs in a fresh folder seeded with the base folder's state, and dbt writes the
    updated state only to the fresh folder; without copying it back, every run starts from the
    state of the last `dbt parse`, made with whichever profile that process had.
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


def _is_stale(artifact: Path, project: DbtProject) -> bool:
    """No `artifact` of a parse yet, or one older than a file of the project."""
    if not artifact.is_file():
        return True
    built = artifact.stat().st_mtime
    return any(path.stat().st_mtime > built for path in source_files(Path(project.project_dir)))


def manifest_is_stale(project: DbtProject) -> bool:
    """No manifest yet, or one older than a file of the project."""
    return _is_stale(Path(project.manifest_path), project)


@functools.cache
def dbt_project() -> DbtProject:
    """The project, its manifest prepared with `dbt parse` when missing or older than a file of
    the project, so a fresh clone runs without a setup step and a model edited under `dagster
    dev` is parsed when its code location reloads.

    Processes that start together (test workers, a run and the UI) parse one at a time under a
    lock, and the manifest replaces the old one whole: nobody reads a half-written manifest, and
    a process that waited finds it current and does not parse again."""
    project = DbtProject(
        project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR
    )
    if not manifest_is_stale(project):
        return project
    target = Path(project.project_dir) / project.target_path
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest_is_stale(project):
            _parse(project, target)
    return project


def _parse(project: DbtProject, target: Path) -> None:
    """`dbt parse` into a folder of its own, then its manifest and parse state moved into
    `target` (each an atomic rename). A failed parse keeps its folder, with dbt's log."""
    staging = Path(tempfile.mkdtemp(prefix=".parse-", dir=target))
    seed_partial_parse(staging, target)
    parsed = invoke_dbt(["parse", "--quiet"], project, staging)
    if error := parsed.error():
        raise error
    for name in (PARTIAL_PARSE_FILE, "semantic_manifest.json", "manifest.json"):
        if (staging / name).is_file():
            (staging / name).replace(target / name)
    shutil.rmtree(staging, ignore_errors=True)


@dataclass(frozen=True)
class DbtInvocation:
    """What one `invoke_dbt` did: whether dbt succeeded, and the errors it logged."""

    args: Sequence[str]
    target: Path
    success: bool
    exception: BaseException | None
    errors: list[str]

    def error(self) -> DagsterDbtCliRuntimeError | None:
        """The failure to raise, naming dbt's errors and its log; None when dbt succeeded."""
        if self.success:
            return None
        messages = self.errors or ([str(self.exception)] if self.exception else [])
        return DagsterDbtCliRuntimeError(
            description=f"dbt {' '.join(self.args)} failed (its log: {self.target / 'dbt.log'})"
            + "".join(f"\n\n{message}" for message in messages)
        )


def invoke_dbt(
    args: Sequence[str],
    project: DbtProject,
    target: Path,
    callbacks: Sequence[Callable[[Any], None]] = (),
    project_dir: Path | None = None,
    manifest: Manifest | None = None,
) -> DbtInvocation:
    """`dbt <args>` in this process (dbtRunner, dbt's programmatic entry) with its artifacts and
    log in `target`, on the DuckDB file and memory cap of `dbt_environment`; the file is closed
    when dbt returns, as after a subprocess. `callbacks` receive every event dbt fires;
    `project_dir` stands in for the project's folder (dagster-dbt's copy of it for a selection
    too long for the command line); with a `manifest` (`parsed_manifest`) dbt does not parse.

    dbt-duckdb keeps its database open in the process between invocations otherwise: the file
    would stay locked against every other process (a run launched from the UI, the next step's
    own connection)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    errors: list[str] = []

    def collect_error(event: Any) -> None:
        if event.info.level == "error":
            errors.append(event.info.msg)

    with dbt_environment():
        try:
            result = dbtRunner(manifest=manifest, callbacks=[*callbacks, collect_error]).invoke(
                [
                    *args,
                    "--project-dir",
                    str(project_dir or project.project_dir),
                    "--profiles-dir",
                    str(project.profiles_dir),
                    "--target-path",
                    str(target),
                    "--log-path",
                    str(target),
                ]
            )
        finally:
            with contextlib.suppress(Exception):  # none when dbt failed before connecting
                DuckDBConnectionManager.env().close()
            DuckDBConnectionManager.close_all_connections()
    return DbtInvocation(args, target, result.success, result.exception, errors)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """The block runs with SIGINT and SIGTERM recorded, not handled; one that arrived is handed to
    the handler that was installed (Dagster's, which raises) when the block ends.

    The decoders mashumaro generates for dbt's manifest catch every exception (a bare `except:`):
    Dagster's interrupt, raised in one of them, would pass for an unreadable manifest, and the run
    would go on to its end."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    handlers = {signum: signal.signal(signum, lambda n, _: received.append(n)) for signum in held}
    try:
        yield
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        if received:
            handler = handlers[received[0]]
            if callable(handler):
                handler(received[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(received[0])


def parsed_manifest(project: DbtProject) -> Manifest | None:
    """The project as dbt's last parse left it (the partial-parse state in the project's target
    folder), for an invocation to run without parsing; None when that state is missing, older
    than a file of the project, unreadable, from another dbt, or names another database than the
    warehouse.

    dbt would parse the whole project again whenever the warehouse's path differs from the last
    parse's (it hashes the profile into its state), though no model reads the path: it names each
    relation `<database>.<schema>.<name>`, the database being the DuckDB file's name."""
    from dbt.adapters.duckdb.credentials import DuckDBCredentials
    from dbt.contracts.graph.manifest import Manifest
    from dbt.version import __version__

    state = Path(project.project_dir) / project.target_path / PARTIAL_PARSE_FILE
    if _is_stale(state, project):
        return None
    with _interrupts_deferred():
        try:
            manifest = Manifest.from_msgpack(state.read_bytes())
        except Exception:  # dbt reads it the same way, and parses when it cannot
            return None
    database = DuckDBCredentials.path_derived_database_name(str(settings.duckdb_path()))
    if manifest.metadata.dbt_version != __version__ or any(
        node.database != database for node in manifest.nodes.values()
    ):
        return None
    # What dbt derives from the saved state when its own parse finds nothing changed: the
    # dependency maps, and the `graph` variable that macros read (touched_tests.sql).
    manifest.build_parent_and_child_maps()
    manifest.build_flat_graph()
    return manifest
