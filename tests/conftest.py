"""Shared fixtures: a temporary warehouse and Dagster instance for every test that wants them, the
sample run, the sample build and the real exports; and how the suite is spread over pytest-xdist's
workers.

The suite runs on two workers (pyproject.toml: `-n 2 --dist loadgroup`). Artifacts that are files
(the sample run, the sample build, the cut of the real exports) are built once for all workers
(tests/build_once.py). Fixtures that hold in-process objects (a Dagster result, a detector) or that
are module-scoped cannot be shared between processes: the tests using one form an xdist group, run
by one worker, so the fixture is built once; those groups go first, the longest work starting
earliest.
"""

from __future__ import annotations

import compileall
import gc
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from pipelines import settings
from pipelines.cli_checks import instance_config
from tests import realdata
from tests.build_once import build_once
from tests.instances import instance_in
from tests.sample_run import PipelineRun, run_sample, sample_run

if TYPE_CHECKING:
    from tests.sample_build import SampleBuild

# fixture -> xdist group of the tests that use it (directly, or through a parametrized fixture
# that names it); a group runs on one worker, so its fixtures are built once.
PER_WORKER_FIXTURES: dict[str, str] = {
    "real_run": "real-data run",
    "edge_case_build": "dbt builds of tests/models",
    "hostile_run": "hostile runs",
    "maintainer_run": "hostile runs",
    "scored_items": "stage-2 baselines",
    "metrics": "stage-2 baselines",
}


# The tests' temporary folders go to this RAM-backed folder when it has room: Dagster's SQLite
# storage commits every event of a run with an fsync (thousands per pipeline run), DuckDB and git
# sync their files too, and on a disk each sync waits for the disk.
RAM_TEMPROOT = Path("/dev/shm")
RAM_TEMPROOT_MIN_FREE = 4 * 2**30


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        # The suite starts dozens of Python processes (workers, pipeline runs, Dagster's); where
        # PYTHONDONTWRITEBYTECODE is set, none of them writes the package's bytecode, so each
        # would compile every module it imports again. Compiled once here, they read it.
        compileall.compile_dir(settings.PROJECT_ROOT / "pipelines", quiet=1)
    _use_ram_temproot(config)


def _use_ram_temproot(config: pytest.Config) -> None:
    if config.option.basetemp or os.environ.get("PYTEST_DEBUG_TEMPROOT"):
        return  # a folder the caller chose
    try:
        roomy = shutil.disk_usage(RAM_TEMPROOT).free >= RAM_TEMPROOT_MIN_FREE
    except OSError:
        return
    if roomy and os.access(RAM_TEMPROOT, os.W_OK):
        # pytest's own setting for the root of its temporary folders; the workers of pytest-xdist
        # get their folders under the controller's.
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(RAM_TEMPROOT)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported (Dagster, dbt, Great Expectations, spaCy) lives as long as the
    session: frozen, it is left out of every later garbage collection's walk."""
    gc.freeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    gc.freeze()  # nor walked by the collections at exit


@pytest.fixture(scope="session", autouse=True)
def session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder and warehouse of any test that names none: a temporary one, so that no test
    writes into the project's own `data/` (a maintainer's runs live there)."""
    folder = tmp_path_factory.mktemp("data")
    previous = {name: os.environ.get(name) for name in ("PIPELINES_DATA_DIR", "DUCKDB_PATH")}
    os.environ["PIPELINES_DATA_DIR"] = str(folder)
    os.environ["DUCKDB_PATH"] = str(folder / "warehouse.duckdb")
    yield folder
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


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


@pytest.fixture(scope="session")
def new_instance_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of an instance as Dagster creates it, its tables made and its migrations
    stamped, once: a test's instance starts from a copy, for a sixth of the cost of creating one."""
    home = tmp_path_factory.mktemp("new-instance") / "dagster"
    with dg.instance_for_test(overrides={"storage": instance_config(home)["storage"]}):
        pass
    return home


@pytest.fixture
def instance(tmp_path: Path, new_instance_home: Path) -> dg.DagsterInstance:
    """A real (temporary, on-disk) instance, so schedules and sensors can read it too."""
    with instance_in(tmp_path, new_instance_home) as temporary:
        yield temporary


@pytest.fixture(scope="session")
def sample_drop() -> Path:
    return settings.SAMPLE_DROP


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """The README's `python -m pipelines run` on the bundled sample, once for the session. Read
    it; a test that runs anything on its state copies its data folder first."""
    return sample_run(build_once(tmp_path_factory, "sample-run", run_sample))


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> SampleBuild:
    """The bundled sample landed, scrubbed-shaped, modeled by dbt and staged as a release, once
    for the session (tests/sample_build.py). Read it; a test that changes it works on a copy."""
    # Imported here, not above: pytest-xdist's controller loads this file before it starts the
    # workers, and the sample build imports Great Expectations and Presidio (seconds).
    from tests.sample_build import SampleBuild, build_sample

    folder = build_once(tmp_path_factory, "sample-build", build_sample)
    return SampleBuild(folder / "warehouse.duckdb", folder / "release")


@pytest.fixture(
    scope="session",
    params=["subset", pytest.param("whole", marks=pytest.mark.slow)],
)
def real_exports(request: pytest.FixtureRequest, tmp_path_factory) -> realdata.RealExports:
    """The real exports of ../shared/realdata: a cut made at test time (tests/realdata.py), or the
    whole files in the tests marked slow."""
    if not realdata.available():
        pytest.skip(f"the real exports are not on this machine ({realdata.REALDATA})")
    if request.param == "whole":
        return realdata.WHOLE
    return realdata.at(build_once(tmp_path_factory, "realdata-cut", realdata.cut))


def _group(item: pytest.Item) -> str | None:
    names = set(item.fixturenames)
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        names.update(v for v in callspec.params.values() if isinstance(v, str))
    for fixture, group in PER_WORKER_FIXTURES.items():
        if fixture in names:
            return group
    # A module-scoped fixture (a detector, a cluster of workers) is built once per worker that
    # runs a test of its module: the module's tests run on one worker.
    definitions = item._fixtureinfo.name2fixturedefs.values()
    if any(d[-1].scope == "module" for d in definitions if d):
        return f"module {item.path.relative_to(item.config.rootpath)}"
    return None


# Work that starts first: the longest runs, so that they overlap.
FIRST = ("real-data run", "pipeline_run")
# Within each rank, the tests that take longest (several pipeline runs, a browser) go first, so
# that none of them is left running alone at the end.
LONG_TESTS = (
    "tests/end_to_end/test_increment.py",
    "tests/end_to_end/test_dagster_ui.py",
)
# Modules of many tests of a few milliseconds each go last: they fill the end of both workers'
# queues, so neither waits alone for a test of seconds that was queued behind them.
SHORT_TESTS = (
    "tests/contract/test_tables.py",
    "tests/privacy/test_name_evidence.py",
    "tests/privacy/test_regex_gates.py",
    "tests/sample/test_sample_drop.py",
)


def _join_group(item: pytest.Item, group: str) -> None:
    """Name the test `<node id>@<group>`, the name by which --dist loadgroup's scheduler keeps a
    group on one worker. pytest-xdist 3.8 sets it on `item._nodeid`, which pytest 9 no longer
    reads (the node id is `item._id`), so its groups are silently ignored; set it here instead."""
    from _pytest.nodeid import NodeId

    item._id = NodeId.parse(f"{item.nodeid}@{group}")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    in_worker = bool(os.environ.get("PYTEST_XDIST_WORKER")) and config.getvalue("loadgroup")
    ranks = {}
    for index, item in enumerate(items):
        group = _group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
            if in_worker and "@" not in item.nodeid:
                _join_group(item, group)
        if group in FIRST:
            rank = FIRST.index(group)
        elif "pipeline_run" in item.fixturenames:
            rank = FIRST.index("pipeline_run")
        else:
            rank = len(FIRST) if group else len(FIRST) + 1
        module = item.path.relative_to(config.rootpath).as_posix()
        ranks[id(item)] = (rank, module not in LONG_TESTS, module in SHORT_TESTS, index)
    # Every worker sorts alike (xdist checks that they collected the same order).
    items.sort(key=lambda item: ranks[id(item)])


def pytest_terminal_summary(terminalreporter) -> None:
    """Tables a test records as its "report" property (record_property), after the run: a worker's
    own output is not shown."""
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", None) != "call":
                continue
            for name, value in report.user_properties:
                if name == "report":
                    terminalreporter.write_sep("-", report.nodeid)
                    terminalreporter.write_line(str(value))
