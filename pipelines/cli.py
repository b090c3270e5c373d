"""`pipelines`: run the pipeline from a terminal, on the same definitions and instance as the UI."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from pipelines import settings

_QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
# Runs of this CLI carry the process that executes them, so a later invocation can tell a run
# whose process was killed from one still going.
_HOST_TAG, _PID_TAG = "pipelines/host", "pipelines/pid"
# Every process a run starts (dbt, the scrub's detector workers, what they start) inherits this
# variable from the run's environment; the run's guard stops those left when the run ends.
_RUN_MARK = "PIPELINES_RUN_MARK"
# How long the guard gives the run's processes to end on SIGTERM before it kills them.
_STOP_GRACE_SECONDS = 2.0


def _instance():
    """The instance the root dagster.yaml configures, with its local storage, artifacts and compute
    logs in settings.dagster_dir() rather than where the yaml's relative paths would put them (the
    working directory). That folder gets the yaml it runs on, so `dagster dev` opens the same
    instance with DAGSTER_HOME set to it."""
    import dagster as dg
    import yaml

    home = settings.dagster_dir()
    config = yaml.safe_load((settings.PROJECT_ROOT / "dagster.yaml").read_text())
    if "sqlite" in config.get("storage", {}):
        config["storage"]["sqlite"]["base_dir"] = str(home / "storage")
    for section, folder in (
        ("local_artifact_storage", "artifacts"),
        ("compute_logs", "compute_logs"),
    ):
        if "base_dir" in config.get(section, {}).get("config", {}):
            config[section]["config"]["base_dir"] = str(home / folder)
    home.mkdir(parents=True, exist_ok=True)
    written = home / "dagster.yaml.partial"
    written.write_text(yaml.safe_dump(config, sort_keys=False))
    written.replace(home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


def unwritable_data_dir() -> str | None:
    """Why the data folder (created if missing) cannot be written, or None when it can."""
    folder = settings.data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as error:
        return (
            f"{folder}: the data folder (PIPELINES_DATA_DIR) cannot be written "
            f"({error.strerror or error}); nothing was run"
        )


def hash_key_problem() -> str | None:
    """Why the run's hash key cannot build this warehouse (too short, or not the key that built
    it), or None when it can; checked before any drop is touched."""
    import duckdb

    from pipelines.privacy.pseudonymizer import HashKeyMismatch, check_warehouse_key

    try:
        key = settings.hash_key()
    except ValueError as error:
        return f"{error}; nothing was run"
    warehouse = settings.duckdb_path()
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True, config=settings.duckdb_config()) as conn:
        try:
            check_warehouse_key(conn, key)
        except HashKeyMismatch as error:
            return f"{warehouse}: {error}"
    return None


def start_guard() -> None:
    """Mark the processes this one will start, and start a guard that stops the marked processes
    left when this one ends, however it ends (killed included): a `dbt build` orphaned by a killed
    run would hold the DuckDB file's lock, and detector workers their memory.

    The guard runs in its own session, out of reach of the terminal's Ctrl-C and of signals to
    this process group. It finds the marked processes through /proc (Linux); elsewhere there is
    no guard."""
    if not Path("/proc/self/environ").exists():
        return
    mark = secrets.token_hex(8)
    subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pipelines.cli import guard; guard(int(sys.argv[1]), sys.argv[2])",
            str(os.getpid()),
            mark,
        ],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        env={name: value for name, value in os.environ.items() if name != _RUN_MARK},
    )
    os.environ[_RUN_MARK] = mark


def guard(pid: int, mark: str) -> None:
    """Wait for process `pid` to end, then stop every process marked with `mark`: SIGTERM, then
    SIGKILL to those still running after the grace period."""
    try:
        ended = os.pidfd_open(pid)
    except OSError:  # gone already, or no pidfd (an old kernel, a seccomp filter)
        while os.getppid() == pid:
            time.sleep(0.5)
    else:
        select.select([ended], [], [])
        os.close(ended)
    for stop in (signal.SIGTERM, signal.SIGKILL):
        deadline = time.monotonic() + _STOP_GRACE_SECONDS
        left = _marked_processes(mark)
        for process in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process, stop)
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = _marked_processes(mark)
        if not left:
            return


def _marked_processes(mark: str) -> list[int]:
    """The running processes whose environment carries `mark` (a zombie's reads empty)."""
    entry = f"{_RUN_MARK}={mark}".encode()
    found = []
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit():
            continue
        try:
            environment = (folder / "environ").read_bytes()
        except OSError:  # ended meanwhile, or another user's
            continue
        if entry in environment.split(b"\0"):
            found.append(int(folder.name))
    return found


def process_tags() -> dict[str, str]:
    """Tags naming the process that executes a run, which fail_orphaned_runs reads."""
    return {_HOST_TAG: socket.gethostname(), _PID_TAG: str(os.getpid())}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_orphaned_runs(instance) -> list[str]:
    """Mark runs of a killed process failed and free their concurrency slots (runs tagged with
    process_tags: the `pipelines` CLI's and the scale benchmark's).

    A killed run stays STARTED and keeps its slot of the "duckdb" pool (limit 1), so every later
    run would wait for it forever.
    """
    import dagster as dg

    orphaned = []
    runs = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED],
            tags={_HOST_TAG: socket.gethostname()},
        )
    )
    for dagster_run in runs:
        if _alive(int(dagster_run.tags[_PID_TAG])):
            continue
        instance.report_run_failed(
            dagster_run, f"the pipelines process {dagster_run.tags[_PID_TAG]} ended mid-run"
        )
        instance.event_log_storage.free_concurrency_slots_for_run(dagster_run.run_id)
        orphaned.append(dagster_run.run_id)
    return orphaned


class _Terminal:
    """The CLI's own lines: written to the terminal (the stdout the run started with) and to the
    run's log, where they frame dbt's and Dagster's output."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def __call__(self, text: str) -> None:
        print(text, flush=True)
        self.stream.write(text + "\n")
        self.stream.flush()


class _WarningCount(logging.Handler):
    """Counts the warnings logged during a run: Python's warnings and Dagster's."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@contextlib.contextmanager
def _output_to_log(log: Path) -> Iterator[_Terminal]:
    """Send file descriptors 1 and 2 to `log` for the duration, so that this process's output and
    that of every process it starts (dbt, the scrub's detector workers) land there; the CLI's own
    lines still reach the terminal through the _Terminal yielded. Restored however the run ends."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    terminal = os.fdopen(os.dup(saved[0]), "w", encoding=sys.stdout.encoding, errors="replace")
    try:
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        yield _Terminal(terminal)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, log_fd):
            os.close(fd)
        terminal.close()


def run_log() -> Path:
    """The log file of a run starting now: `<data folder>/logs/run-<UTC time>.log`."""
    return settings.data_dir() / "logs" / time.strftime("run-%Y%m%dT%H%M%SZ.log", time.gmtime())


def run(drops: list[Path], release_with_failed_drops: bool = False) -> int:
    """Process each drop (ingest, scrub), then rebuild models, checks and the release; refresh the
    Data Docs index once at the end, whatever the outcome.

    A failed drop does not stop the others, but the run then ends in failure and cuts no release
    (the release would mix the drop's earlier rows with the others' new ones) unless
    `release_with_failed_drops`.

    The terminal gets one line per drop and for the build, a count of the warnings and the
    summary; the whole output (dbt's, Dagster's, the warnings, a traceback) goes to run_log()."""
    from pipelines.quality import refresh_data_docs_index

    problem = unwritable_data_dir()
    if problem:
        print(problem, file=sys.stderr, flush=True)
        return 1
    log = run_log()
    warnings_logged = _WarningCount()
    logging.getLogger().addHandler(warnings_logged)
    try:
        with _output_to_log(log) as say:
            say(f"log (dbt, Dagster, warnings): {log}")
            try:
                problem = hash_key_problem()
                if problem:
                    say(problem)
                    return 1
                try:
                    return _run_jobs(drops, release_with_failed_drops, say)
                finally:
                    refresh_data_docs_index()
            except Exception as error:
                traceback.print_exc()
                what = (str(error).splitlines() or [""])[0][:200]
                say(f"pipelines run failed: {type(error).__name__}: {what} (traceback in {log})")
                return 1
            finally:
                if warnings_logged.count:
                    say(f"{warnings_logged.count} warnings: read them in {log}")
    finally:
        logging.getLogger().removeHandler(warnings_logged)


def _run_jobs(drops: list[Path], release_with_failed_drops: bool, say: _Terminal) -> int:
    import duckdb

    from pipelines.definitions import defs
    from pipelines.defs.jobs import build_job, drop_job
    from pipelines.defs.models.metrics import HEADLINE_METRICS, format_metrics
    from pipelines.defs.partitions import drop_partitions
    from pipelines.ingest import DropError, check_drop_folder

    instance = _instance()
    for run_id in fail_orphaned_runs(instance):
        say(f"run {run_id} of a killed process: marked failed, its slots freed")
    tags = process_tags()
    failed = []
    for folder in drops:
        drop_id = folder.name
        print(f"== drop {drop_id} ({folder})", flush=True)
        try:
            check_drop_folder(folder)
        except DropError as error:
            say(f"drop {drop_id} refused: {error}")
            failed.append(drop_id)
            continue
        instance.add_dynamic_partitions(drop_partitions.name, [drop_id])
        started = time.monotonic()
        result = defs.resolve_job_def(drop_job.name).execute_in_process(
            instance=instance,
            partition_key=drop_id,
            tags=tags,
            run_config={
                **_QUIET,
                "ops": {"raw_tables": {"config": {"drops_dir": str(folder.parent)}}},
            },
            raise_on_error=False,
        )
        if not result.success:
            for event in result.get_step_failure_events():
                failure = event.step_failure_data.user_failure_data
                if failure and failure.description:
                    say(f"{event.step_key}: {failure.description}")
            say(f"drop {drop_id} failed: see run {result.run_id} in the Dagster UI")
            failed.append(drop_id)
            continue
        say(drop_line(instance, result.run_id, drop_id, time.monotonic() - started))
    if failed and not release_with_failed_drops:
        say(
            f"No release cut: {len(failed)} of {len(drops)} drops failed ({', '.join(failed)}). "
            "Fix them and run again, or cut a release from the others with "
            "--release-with-failed-drops."
        )
        return 1
    build = defs.resolve_job_def(build_job.name)
    if build.asset_layer.executable_asset_keys:
        print("== models, checks, baselines and release", flush=True)
        started = time.monotonic()
        result = build.execute_in_process(
            instance=instance, run_config=_QUIET, tags=tags, raise_on_error=False
        )
        if not result.success:
            steps = ", ".join(e.step_key for e in result.get_step_failure_events())
            say(f"build failed ({steps}): see run {result.run_id} in the Dagster UI")
            return 1
        checks = result.get_asset_check_evaluations()
        say(
            f"models, checks, baselines and release: {sum(c.passed for c in checks)} of "
            f"{len(checks)} checks passed, {time.monotonic() - started:.0f} s"
        )
    with duckdb.connect(
        str(settings.duckdb_path()), read_only=True, config=settings.duckdb_config()
    ) as conn:
        print(tables_report(conn) + "\n\n" + format_metrics(conn), flush=True)
        say("\n" + summary(conn))
        say("\n" + format_metrics(conn, HEADLINE_METRICS))
    say(release_summary(instance))
    return 1 if failed else 0


def drop_line(instance, run_id: str, drop_id: str, seconds: float) -> str:
    """What a drop's run did: export lines landed and quarantined, the scrub's time and the whole
    run's."""
    import duckdb

    with duckdb.connect(
        str(settings.duckdb_path()), read_only=True, config=settings.duckdb_config()
    ) as conn:
        landed, quarantined = conn.execute(
            "select sum(rows_landed), sum(rows_quarantined) from raw.ingested_files "
            "where _drop_id = ?",
            [drop_id],
        ).fetchone()
    steps = {stats.step_key: stats for stats in instance.get_run_step_stats(run_id)}
    scrub = steps["scrubbed_tables"]
    return (
        f"drop {drop_id}: ingested {landed} lines ({quarantined} quarantined), scrubbed in "
        f"{scrub.end_time - scrub.start_time:.0f} s; {seconds:.0f} s in all"
    )


def release_summary(instance) -> str:
    """Where the release went, its version, and the line a researcher types to load it."""
    import dagster as dg

    from pipelines.release.publish import EXAMPLE_CONFIG

    event = instance.get_latest_materialization_event(dg.AssetKey("dataset_release"))
    if event is None or event.asset_materialization is None:
        return "No release was cut."
    metadata = event.asset_materialization.metadata
    path = metadata["path"].value
    lines = [
        f"\nRelease {metadata['version'].value} "
        f"({'published' if metadata['published'].value else 'unchanged, nothing published'})",
        f"  path: {path}",
        f"  load it with: {metadata['load_command'].value}",
    ]
    if not str(path).startswith("http"):
        # The local repo's working tree is checked out at its newest release.
        lines.append(
            f'  or, newest release, in Python: datasets.load_dataset("{path}", "{EXAMPLE_CONFIG}")'
        )
    return "\n".join(lines)


# How many files with quarantined rows the summary names; the log names every file.
_QUARANTINED_FILES_SHOWN = 5


def summary(conn) -> str:
    """Rows landed and lines quarantined in all, and the files with the most quarantined lines:
    what a maintainer checks first."""
    from pipelines.contract.tables import TABLES

    files = conn.execute(
        "select _drop_id, _file, rows_read, rows_landed, rows_quarantined "
        "from raw.ingested_files order by rows_quarantined desc, 1, 2"
    ).fetchall()
    rows = sum(conn.execute(f"select count(*) from raw.{name}").fetchone()[0] for name in TABLES)
    lines_landed = sum(row[3] for row in files)
    quarantined = conn.execute("select count(*) from raw.quarantine").fetchone()[0]
    lines = [
        f"Rows: {rows} in {len(TABLES)} raw tables, from {lines_landed} lines of {len(files)} "
        f"files; {quarantined} lines quarantined (raw.quarantine; per table and file: the log)"
    ]
    shown = [row for row in files if row[4]][:_QUARANTINED_FILES_SHOWN]
    for drop_id, file, read, _, rows_quarantined in shown:
        lines.append(f"  {drop_id}/{file}: {rows_quarantined} of {read} quarantined")
    return "\n".join(lines)


def tables_report(conn) -> str:
    """Rows per raw table and rows read, landed and quarantined per file."""
    from pipelines.contract.tables import TABLES

    lines = ["Raw tables (rows):"]
    for name in TABLES:
        count = conn.execute(f"select count(*) from raw.{name}").fetchone()[0]
        lines.append(f"  raw.{name:<20} {count:>8}")
    lines.append("Ingested files (read / landed / quarantined):")
    for drop_id, file, read, landed, quarantined in conn.execute(
        "select _drop_id, _file, rows_read, rows_landed, rows_quarantined "
        "from raw.ingested_files order by 1, 2"
    ).fetchall():
        lines.append(f"  {drop_id}/{file:<28} {read:>8} {landed:>8} {quarantined:>8}")
    total = conn.execute("select count(*) from raw.quarantine").fetchone()[0]
    lines.append(f"Rows quarantined in all: {total}")
    return "\n".join(lines)


def write_contract_schemas(folder: Path) -> list[Path]:
    """One JSON Schema per export file of the contract, for producers outside Python."""
    import json

    from pipelines.contract.models import DropManifest
    from pipelines.contract.tables import RAW_FILES

    folder.mkdir(parents=True, exist_ok=True)
    models = {stem: raw_file.model for stem, raw_file in RAW_FILES.items()}
    models["manifest"] = DropManifest
    written = []
    for stem, model in models.items():
        path = folder / f"{stem}.schema.json"
        path.write_text(json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def drop_path_problem(folder: Path) -> str | None:
    """Why a path given to `pipelines run` is no drop folder at all, in one line; None if it is
    one: an existing folder that holds an export of the contract or a manifest. A drop folder
    that fails its own checks (a link in it, a bad name) is not refused here: it fails in the
    run, naming why, and the other drops go on."""
    from pipelines.ingest import DropError
    from pipelines.ingest.drop import find_export_files

    if not folder.exists():
        return f"{folder}: no such drop folder"
    if not folder.is_dir():
        return f"{folder}: not a folder; a drop is a folder of exports"
    try:
        exports, _ = find_export_files(folder)
    except DropError:
        return None
    if not exports and not (folder / "manifest.json").is_file():
        return (
            f"{folder}: not a drop folder: no export of the contract (<table>.jsonl, "
            "docs/raw-data-contract.md) and no manifest.json"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipelines", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="process drops and cut a release")
    run_parser.add_argument(
        "drops",
        nargs="*",
        type=Path,
        help="drop folders (default: every folder in PIPELINES_DROPS_DIR, the bundled sample)",
    )
    run_parser.add_argument(
        "--max-quarantined-share",
        metavar="BOUNDS",
        help="the share of a file's lines that may be quarantined before its drop fails, for "
        "this run: e.g. 0.25, or 0.1,stage3_ratings=0.25; 1 lets every file through "
        "(sets PIPELINES_MAX_QUARANTINED_SHARE; default 0.1)",
    )
    run_parser.add_argument(
        "--release-with-failed-drops",
        action="store_true",
        help="cut the release from the drops that were processed even if others failed (the "
        "run still exits non-zero); PIPELINES_RELEASE_WITH_FAILED_DROPS=true does the same",
    )
    schemas_parser = commands.add_parser(
        "contract-schemas", help="write the contract's JSON Schemas to a folder"
    )
    schemas_parser.add_argument("folder", type=Path, nargs="?", default=Path("docs/contract"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)  # counted in a run's summary, read in its log
    if args.command == "run":
        problems = [problem for d in args.drops if (problem := drop_path_problem(d))]
        for problem in problems:
            print(f"pipelines run: {problem}", file=sys.stderr)
        if problems:
            return 2
        start_guard()
        if args.max_quarantined_share is not None:
            os.environ["PIPELINES_MAX_QUARANTINED_SHARE"] = args.max_quarantined_share
            settings.max_quarantined_share("")  # a malformed value stops the run here
        drops = [d.resolve() for d in args.drops] or sorted(
            p for p in settings.drops_dir().iterdir() if p.is_dir()
        )
        return run(drops, args.release_with_failed_drops or settings.release_with_failed_drops())
    if args.command == "contract-schemas":
        for path in write_contract_schemas(args.folder):
            print(path)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
