"""Scale benchmark: the whole pipeline on generated drops of growing size, stage by stage.

    .venv/bin/python benchmarks/scale_benchmark.py --sizes 5000 50000 [--out DIR]

For each size (conversations), in a fresh working folder `<out>/n<size>/`:

1. **generate** a drop with the sample generator (`python -m pipelines.sample --gzip`): the study's
   shape and rate of planted personal data, written as compressed JSONL, streamed;
2. run each stage of the pipeline in its own fresh process, on the project's Dagster definitions
   and instance configuration, with an isolated environment (warehouse, Dagster storage, Data
   Docs and release repo all inside the working folder, as `tests/end_to_end/conftest.py` sets
   them up):

   | stage            | what it materializes or checks                                         |
   |------------------|------------------------------------------------------------------------|
   | `ingest`         | the `ingest` group (raw tables + quarantine) for the drop's partition   |
   | `validate_raw`   | the Great Expectations checks of the raw tables, the drop's partition   |
   | `scrub`          | the `privacy` group (scrubbed tables + residual-leak checks), partition |
   | `model`          | the dbt project (`dbt build`: models and dbt tests), all drops           |
   | `validate_marts` | the Great Expectations checks of the marts                              |
   | `release`        | `dataset_release`: splits, Parquet export, card, published-file checks, |
   |                  | commit and tag in the local dataset repo                                |

3. after the largest size, the **incremental** run: a second drop of the same seed adding 1% new
   conversations (new users, judged by the same annotators on the same prompts), then the same
   stages again (ingest, validate and scrub that drop; model, validate and release everything),
   all in one process as `pipelines run` and the sensor's runs process a new drop
   (`--increment-per-stage` gives it one process per stage, like the full run).

Per stage it records the process's wall time, the Dagster run's step time (from the run's step
statistics in the instance storage), CPU time, rows, rows/s, the peak RSS of the largest process of
the stage (`wait4`'s rusage, which covers the stage's reaped children: dbt, scrubber workers, git)
and the peak of the summed RSS of the stage's process tree (sampled from /proc every 0.2 s). Inside
the stage process, wrappers that only add a clock time the main internal phases (ingest, scrub,
release), dbt's run_results.json gives dbt's own time, and probes note RSS and DuckDB's
`duckdb_memory()` at two points of ingest and scrub. It prints one table, the totals, the phases
and the probes, and writes `<out>/scale_benchmark.json` and `--results`
(`benchmarks/results/scale.json`). See docs/benchmarks.md.

Only counts and timings are printed: the generated drops hold planted (fake) personal data; the
stage logs stay in `<out>/n<size>/logs/`. dbt's per-run target folders go to `<out>/n<size>/`
too (DBT_TARGET_PATH), not to dbt/target. Each size's drops, warehouse and release are deleted
after it unless --keep.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results_header import now, results_header  # noqa: E402

DEFAULT_OUT = ROOT / "data" / "benchmarks" / "scale"
# The committed copy of the latest figures, which docs/benchmarks.md shows.
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
STAGES = ("ingest", "validate_raw", "scrub", "model", "validate_marts", "release")
# The project's job that runs each stage (pipelines/defs/jobs.py), and by which the increment is
# split: the drop sensor's job ingests, checks and scrubs one drop (a partition); the daily
# schedule's job rebuilds everything downstream.
JOB_STAGES = {
    "process_drop": ("ingest", "validate_raw", "scrub"),
    "build_release": ("model", "validate_marts", "release"),
}
PARTITIONED = frozenset(JOB_STAGES["process_drop"])
GE_CHECK = "great_expectations"
# A key for pseudonymous ids, fixed so runs compare; the drops are generated, never real data.
BENCHMARK_HASH_KEY = "scale-benchmark-key-not-a-secret"
SAMPLE_INTERVAL = 0.2
MIN_INCREMENT = 40  # the generator's smallest drop with the study's mix of users
_QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


# -- the stage process ---------------------------------------------------------------------------


class _Timers:
    """Seconds and calls per wrapped function; wrappers only add a clock around the call."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.dbt_target_paths: list[Path] = []
        self.probes: dict[str, dict[str, Any]] = {}

    def probe(self, owner: Any, name: str, label: str, conn_of: Any, counts: Any = None) -> None:
        """Before calling `name`, note this process's RSS and DuckDB's own memory (and counts of
        a few of the caller's structures: sizes only, never contents)."""
        original = getattr(owner, name)

        def probed(*args: Any, **kwargs: Any) -> Any:
            found: dict[str, Any] = {"rss_mb": _self_rss_mb()}
            with contextlib.suppress(Exception):
                usage, spilled = (
                    conn_of(args)
                    .execute(
                        "select sum(memory_usage_bytes), sum(temporary_storage_bytes) "
                        "from duckdb_memory()"
                    )
                    .fetchone()
                )
                found["duckdb_memory_mb"] = round(usage / 2**20, 1)
                found["duckdb_temporary_storage_mb"] = round(spilled / 2**20, 1)
                found["duckdb_memory_mb_by_tag"] = {
                    tag: round(used / 2**20, 1)
                    for tag, used in conn_of(args)
                    .execute(
                        "select tag, memory_usage_bytes from duckdb_memory() "
                        "where memory_usage_bytes >= 1048576 order by 2 desc"
                    )
                    .fetchall()
                }
            if counts is not None:
                with contextlib.suppress(Exception):
                    found.update(counts(args))
            self.probes[label] = found
            return original(*args, **kwargs)

        setattr(owner, name, probed)

    def _add(self, label: str, seconds: float) -> None:
        self.seconds[label] = self.seconds.get(label, 0.0) + seconds
        self.calls[label] = self.calls.get(label, 0) + 1

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)
        self.seconds.setdefault(label, 0.0)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._add(label, time.perf_counter() - started)

        setattr(owner, name, timed)

    def wrap_generator(self, owner: Any, name: str, label: str) -> None:
        """Time spent producing items of a generator function (not the consumer's time)."""
        original = getattr(owner, name)
        timers = self
        self.seconds.setdefault(label, 0.0)

        def timed(*args: Any, **kwargs: Any) -> Any:
            iterator = iter(original(*args, **kwargs))
            while True:
                started = time.perf_counter()
                try:
                    item = next(iterator)
                except StopIteration:
                    timers._add(label, time.perf_counter() - started)
                    return
                timers.seconds[label] = timers.seconds.get(label, 0.0) + (
                    time.perf_counter() - started
                )
                yield item

        setattr(owner, name, timed)

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {
            label: {"seconds": round(s, 3), "calls": self.calls.get(label, 0)}
            for label, s in self.seconds.items()
        }


def _install_timers(stage: str, timers: _Timers) -> None:
    if stage == "ingest":
        import pipelines.ingest.drop as drop

        timers.wrap(drop, "_land_file", "parse, validate (pydantic) and land files")
        timers.wrap(drop, "_sha256", "hash files")
        timers.wrap(drop, "_check_keys_and_references", "duplicate keys and references")
        timers.wrap(drop, "_replace_drop", "replace the drop's rows in raw")
        timers.probe(drop, "_replace_drop", "ingest: drop landed, before replace", lambda a: a[0])
    elif stage == "scrub":
        import pipelines.privacy.detection_cluster as detection
        import pipelines.privacy.scrub as scrub

        timers.wrap(scrub.DropScrubber, "find", "pass 1: find (cache, detection, names)")
        timers.wrap(
            detection.DetectionCluster,
            "detect",
            "  of which detection (Presidio, spaCy, workers)",
        )
        timers.wrap(scrub.DropScrubber, "write", "pass 2: write, scan and swap in")
        timers.wrap(scrub.DropScrubber, "_scan", "  of which residual-leak scan")
        timers.wrap(scrub.DropScrubber, "_swap_in", "  of which swap into scrubbed")

        def scrubber_counts(args: Any) -> dict[str, int]:
            scrubber = args[0]
            return {
                "name_scopes": len(scrubber.numbering.names),
                "hashed_identifiers": len(scrubber.hashing.recent),
                "pseudonym_numbers": len(scrubber.pseudonymizer.numbers),
                "pseudonyms_pending": len(scrubber.pseudonymizer.pending),
            }

        timers.probe(
            scrub.DropScrubber,
            "write",
            "scrub: after pass 1",
            lambda a: a[0].conn,
            scrubber_counts,
        )
        timers.probe(
            scrub.DropScrubber,
            "_swap_in",
            "scrub: staged, before the swap",
            lambda a: a[0].conn,
            scrubber_counts,
        )
    elif stage == "model":
        from dagster_dbt import DbtCliResource

        original = DbtCliResource.cli

        def cli(self: Any, *args: Any, **kwargs: Any) -> Any:
            invocation = original(self, *args, **kwargs)
            timers.dbt_target_paths.append(Path(invocation.target_path))
            return invocation

        DbtCliResource.cli = cli  # type: ignore[method-assign]
    elif stage == "release":
        import pipelines.release.build as build
        import pipelines.release.publish as publish
        from pipelines.release.targets import LocalGitTarget

        timers.wrap(LocalGitTarget, "fetch", "fetch the previous release")
        timers.wrap(publish, "plan_release", "plan: splits, export, hashes, diff, card")
        import pipelines.release.export as export
        import pipelines.release.validation as validation

        timers.wrap(build, "export_config", "  of which Parquet export")
        timers.wrap(export, "shard_fingerprints", "    of which shard fingerprints")
        timers.wrap(export, "rows_sha256", "    of which content hashes")
        timers.wrap(build, "rows_added_removed", "  of which row diff with the previous release")
        timers.wrap(publish, "validate_published", "validate the published files (GE)")
        timers.wrap(validation, "scan_published", "  of which residual-leak scan")
        timers.wrap(LocalGitTarget, "publish", "publish: git commit and tag")


def _selection(stage: str, defs: Any) -> Any:
    import dagster as dg

    graph = defs.resolve_asset_graph()
    checks = list(graph.asset_check_keys)

    def group_of(key: dg.AssetKey) -> str | None:
        return graph.get(key).group_name

    if stage == "ingest":
        return dg.AssetSelection.groups("ingest").without_checks()
    if stage == "validate_raw":
        return dg.AssetSelection.checks(
            *(c for c in checks if c.name == GE_CHECK and group_of(c.asset_key) == "ingest")
        )
    if stage == "scrub":
        return dg.AssetSelection.groups("privacy")
    if stage == "model":
        return dg.AssetSelection.groups("models").without_checks() | dg.AssetSelection.checks(
            *(c for c in checks if c.name != GE_CHECK and group_of(c.asset_key) == "models")
        )
    if stage == "validate_marts":
        return dg.AssetSelection.checks(
            *(c for c in checks if c.name == GE_CHECK and group_of(c.asset_key) == "models")
        )
    if stage == "release":
        return dg.AssetSelection.groups("release")
    raise ValueError(stage)


def _dbt_timing(run_results: Path) -> dict[str, Any]:
    """dbt's own account of a `dbt build`: elapsed time, and execution time per node kind."""
    if not run_results.exists():
        return {}
    results = json.loads(run_results.read_text())
    by_kind: dict[str, float] = {}
    models: list[tuple[float, str]] = []
    for node in results["results"]:
        kind = node["unique_id"].split(".", 1)[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + node["execution_time"]
        if kind == "model":
            models.append((node["execution_time"], node["unique_id"].rsplit(".", 1)[-1]))
    return {
        "elapsed_seconds": round(results["elapsed_time"], 3),
        "nodes": len(results["results"]),
        "execution_seconds_by_kind": {k: round(v, 3) for k, v in sorted(by_kind.items())},
        "slowest_models": [[name, round(t, 3)] for t, name in sorted(models, reverse=True)[:5]],
    }


def _self_rss_mb() -> float:
    with open("/proc/self/status", "rb") as handle:
        for line in handle:
            if line.startswith(b"VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _metadata_value(value: Any) -> Any:
    return getattr(value, "value", value)


def run_stages(
    stages: list[str], drop_id: str, drops_dir: Path, workers: int, result_path: Path
) -> int:
    """Stages in this process, in order, each as a Dagster job; write what each took.

    One stage per process gives each stage's own peak memory; all of them in one process is how
    `pipelines run` and the sensor's runs process a drop (definitions loaded once).
    """
    started = time.perf_counter()
    import dagster as dg

    from pipelines.definitions import defs

    timers = _Timers()
    for stage in stages:
        _install_timers(stage, timers)
    from pipelines.cli import fail_orphaned_runs

    instance = dg.DagsterInstance.get()
    # A stage process killed mid-run (a stopped benchmark) keeps its "duckdb" slot otherwise,
    # and the resumed stage would wait for it for ever.
    fail_orphaned_runs(instance)
    payloads = []
    for stage in stages:
        payloads.append(
            _run_stage(
                dg,
                defs,
                instance,
                stage,
                drop_id,
                drops_dir,
                workers,
                timers,
                time.perf_counter() - started,
            )
        )
        started = time.perf_counter()
        if not payloads[-1]["success"]:
            break
    # As `pipelines run` does once after its runs: the Data Docs index, outside any step.
    from pipelines.quality import refresh_data_docs_index

    refresh_data_docs_index()
    payloads[-1]["data_docs_index_seconds"] = round(time.perf_counter() - started, 3)
    result_path.write_text(json.dumps(payloads, indent=2, default=str) + "\n")
    return 0 if all(p["success"] for p in payloads) else 1


def _run_stage(
    dg: Any,
    defs: Any,
    instance: Any,
    stage: str,
    drop_id: str,
    drops_dir: Path,
    workers: int,
    timers: _Timers,
    loaded: float,
) -> dict[str, Any]:
    from pipelines.cli import process_tags
    from pipelines.defs.partitions import drop_partitions

    # A subset of the project's own jobs: the per-drop job for the partitioned stages, the build
    # job for the rest, with exactly the stage's assets and checks.
    graph = defs.resolve_asset_graph()
    selection = _selection(stage, defs)
    base = defs.resolve_job_def(next(job for job, part in JOB_STAGES.items() if stage in part))
    job = base.get_subset(
        asset_selection=set(selection.resolve(graph)),
        asset_check_selection=set(selection.resolve_checks(graph)),
    )
    run_config: dict[str, Any] = dict(_QUIET)
    if stage == "ingest":
        run_config["ops"] = {"raw_tables": {"config": {"drops_dir": str(drops_dir)}}}
    if stage == "scrub":
        run_config["ops"] = {"scrubbed_tables": {"config": {"workers": workers}}}
    kwargs: dict[str, Any] = {}
    if stage in PARTITIONED:
        instance.add_dynamic_partitions(drop_partitions.name, [drop_id])
        kwargs["partition_key"] = drop_id
    timers.seconds.clear()
    timers.calls.clear()
    timers.probes.clear()
    timers.dbt_target_paths.clear()
    result = job.execute_in_process(
        instance=instance,
        run_config=run_config,
        tags=process_tags(),
        raise_on_error=False,
        **kwargs,
    )
    record = instance.get_run_record_by_id(result.run_id)
    steps = [
        {
            "step": s.step_key,
            "status": s.status.value if s.status else None,
            "seconds": round((s.end_time or 0) - (s.start_time or 0), 3)
            if s.start_time and s.end_time
            else None,
        }
        for s in instance.get_run_step_stats(result.run_id)
    ]
    checks = [
        {
            "check": f"{'/'.join(e.asset_key.path)}:{e.check_name}",
            "passed": e.passed,
            "severity": e.severity.value,
        }
        for e in (
            ev.event_specific_data
            for ev in result.all_events
            if ev.event_type_value == "ASSET_CHECK_EVALUATION"
        )
    ]
    extra: dict[str, Any] = {}
    if stage == "scrub":
        event = instance.get_latest_materialization_event(dg.AssetKey(["scrubbed", "turns"]))
        if event is not None and event.asset_materialization is not None:
            metadata = event.asset_materialization.metadata
            for name in ("texts_in_drop", "texts_analyzed", "cache_hits"):
                if name in metadata:
                    extra[name] = _metadata_value(metadata[name])
    if stage == "release":
        event = instance.get_latest_materialization_event(dg.AssetKey("dataset_release"))
        if event is not None and event.asset_materialization is not None:
            metadata = event.asset_materialization.metadata
            for name in ("version", "published", "change", "total_rows"):
                if name in metadata:
                    extra[name] = _metadata_value(metadata[name])
    for target_path in timers.dbt_target_paths:
        extra["dbt"] = _dbt_timing(target_path / "run_results.json")
    payload = {
        "stage": stage,
        "run_id": result.run_id,
        "success": result.success,
        "load_seconds": round(loaded, 3),
        "run_seconds": round(record.end_time - record.start_time, 3)
        if record and record.start_time and record.end_time
        else None,
        "steps": steps,
        "step_seconds": round(sum(s["seconds"] or 0 for s in steps), 3),
        "failed_checks": [c for c in checks if not c["passed"]],
        "checks": len(checks),
        "timers": timers.as_dict(),
        "probes": dict(timers.probes),
        "extra": extra,
    }
    return payload


# -- measuring a child process -------------------------------------------------------------------


def _tree_rss_kb(root: int) -> int:
    """Summed VmRSS (kB) of `root` and its descendants, read from /proc."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status", "rb") as handle:
                for line in handle:
                    if line.startswith(b"VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def measure(command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run a command to its end; wall time, exit code and peak memory of it and its children."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = {"tree_kb": 0}
    done = threading.Event()
    load_before = _loadavg()
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

        def sample() -> None:
            while not done.wait(SAMPLE_INTERVAL):
                with contextlib.suppress(Exception):
                    peak["tree_kb"] = max(peak["tree_kb"], _tree_rss_kb(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait()
            raise
        finally:
            done.set()
            sampler.join()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_seconds": round(wall, 3),
        "exit_code": process.returncode,
        # Linux reports ru_maxrss in kB: the largest single process among it and its children.
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "tree_rss_mb": round(peak["tree_kb"] / 1024, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        # Other work on the machine slows the stages: the 1-minute load before and after.
        "loadavg_1min": [load_before, _loadavg()],
    }


def _loadavg() -> float:
    with open("/proc/loadavg") as handle:
        return float(handle.read().split()[0])


# -- the benchmark -------------------------------------------------------------------------------


def stage_env(workdir: Path, memory_limit: str | None = None) -> dict[str, str]:
    """tests/end_to_end/conftest.py `pipeline_env`, plus the drops folder, a fixed hash key and,
    when given, DuckDB's memory cap (else the pipeline's default)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPELINES_", "DUCKDB_"))}
    env.pop("HF_TOKEN", None)
    if memory_limit:
        env["PIPELINES_DUCKDB_MEMORY_LIMIT"] = memory_limit
    env.update(
        PIPELINES_DATA_DIR=str(workdir / "data"),
        DUCKDB_PATH=str(workdir / "data" / "warehouse.duckdb"),
        PIPELINES_RELEASE_DIR=str(workdir / "data" / "dataset_repo"),
        PIPELINES_DROPS_DIR=str(workdir / "drops"),
        PIPELINES_HASH_KEY=BENCHMARK_HASH_KEY,
        # dagster-dbt's per-invocation target folders go to the working folder, not dbt/target.
        DBT_TARGET_PATH=str(workdir / "dbt-target"),
        # The root dagster.yaml is the instance configuration; its storage paths are relative to
        # the working directory, so they land in <workdir>/data/dagster.
        DAGSTER_HOME=str(ROOT),
    )
    return env


def _count_rows(workdir: Path) -> dict[str, Any]:
    """Row counts per schema and drop, read after a stage has closed the warehouse."""
    import duckdb

    from pipelines.contract.tables import TABLES
    from pipelines.release.configs import CONFIGS

    path = workdir / "data" / "warehouse.duckdb"
    counts: dict[str, Any] = {"raw": {}, "scrubbed": {}, "marts": {}}
    if not path.exists():
        return counts
    with duckdb.connect(str(path), read_only=True) as conn:
        present = {
            (schema, name)
            for schema, name in conn.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        for schema in ("raw", "scrubbed"):
            for name in TABLES:
                if (schema, name) in present:
                    for drop_id, n in conn.execute(
                        f"select _drop_id, count(*) from {schema}.{name} group by 1"
                    ).fetchall():
                        per_drop = counts[schema].setdefault(drop_id, {})
                        per_drop[name] = n
        marts = {c.table for c in CONFIGS}
        for name in sorted(marts):
            if ("main", name) in present:
                counts["marts"][name] = conn.execute(
                    f'select count(*) from main."{name}"'
                ).fetchone()[0]
    return counts


def _helper(*args: str) -> Any:
    """Run a helper of this script in a short child process and return its JSON.

    The measuring process stays small (no DuckDB or pipeline imports): Linux counts the memory of
    a forked child before it execs the command, so a large parent would inflate small stages'
    peak RSS."""
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--helper", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


def _n_users(conversations: int) -> int:
    from pipelines.sample.generator import SampleConfig

    return SampleConfig(out=Path("unused"), conversations=conversations).n_users


def _guarded_marts() -> list[str]:
    return sorted(p.name.split(".")[1] for p in (ROOT / "expectations").glob("main.*.yml"))


def stage_rows(stage: str, drop_id: str, counts: dict[str, Any]) -> int:
    """The rows a stage works through (see docs/benchmarks.md)."""
    if stage in ("ingest", "validate_raw"):
        return sum(counts["raw"].get(drop_id, {}).values())
    if stage == "scrub":
        return sum(counts["scrubbed"].get(drop_id, {}).values())
    if stage == "model":
        return sum(sum(t.values()) for t in counts["scrubbed"].values())
    if stage == "validate_marts":
        return sum(counts["marts"].get(name, 0) for name in _guarded_marts())
    if stage == "release":
        return sum(counts["marts"].values())
    raise ValueError(stage)


def _folder_bytes(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (0 if it does not exist)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _printable_failure(log: Path) -> str:
    """The error lines of a failed stage's log: exception names and messages, cut short."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    wanted = [
        line.strip()[:200]
        for line in lines
        if any(word in line for word in ("Error", "Exception", "Failure", "failed"))
        and not line.startswith(" ")
    ]
    return "\n".join(wanted[-6:]) or "(no error line; see the log)"


class Benchmark:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.out: Path = args.out.resolve()
        self.results: dict[str, Any] = {
            **results_header("scale_benchmark.py", time_key="started_at"),
            "versions": self._versions(),
            "settings": {
                "seed": "the generator's default" if args.seed is None else args.seed,
                "duckdb_memory_limit": args.memory_limit or "the pipeline's default",
                "scrub_workers": args.workers,
                "increment_share": args.increment_share,
            },
            "sizes": {},
        }

    @staticmethod
    def _versions() -> dict[str, str]:
        from importlib.metadata import PackageNotFoundError, version

        found = {}
        for name in (
            "dagster",
            "duckdb",
            "dbt-core",
            "dbt-duckdb",
            "presidio-analyzer",
            "spacy",
            "great-expectations",
            "pyarrow",
        ):
            with contextlib.suppress(PackageNotFoundError):
                found[name] = version(name)
        with contextlib.suppress(Exception):
            found["pipelines (git)"] = subprocess.run(
                ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        return found

    def save(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.results["finished_at"] = now()
        text = json.dumps(self.results, indent=2, default=str) + "\n"
        (self.out / "scale_benchmark.json").write_text(text)
        self.args.results.parent.mkdir(parents=True, exist_ok=True)
        self.args.results.write_text(text)

    def generate(
        self, workdir: Path, drop_id: str, conversations: int, **extra: Any
    ) -> dict[str, Any]:
        if self.args.drops_from and (self.args.drops_from / "drops" / drop_id).is_dir():
            return self.reuse(workdir, drop_id)
        command = [
            sys.executable,
            "-m",
            "pipelines.sample",
            "--out",
            str(workdir / "drops" / drop_id),
            "--conversations",
            str(conversations),
            "--gzip",
        ]
        if self.args.seed is not None:
            command += ["--seed", str(self.args.seed)]
        if extra.get("first_user"):
            command += ["--first-user", str(extra["first_user"]), "--no-shared-tables"]
        measured = measure(
            command,
            cwd=ROOT,
            env=stage_env(workdir, self.args.memory_limit),
            log=workdir / "logs" / f"{drop_id}-generate.log",
        )
        if measured["exit_code"] != 0:
            raise SystemExit(f"generating {drop_id} failed; see {workdir}/logs")
        drop_bytes = _folder_bytes(workdir / "drops" / drop_id)
        return {
            "stage": "generate",
            **measured,
            "step_seconds": None,
            "rows": _generated_records(workdir / "logs" / f"{drop_id}-generate.log"),
            "drop_mb": round(drop_bytes / 2**20, 1),
        }

    def reuse(self, workdir: Path, drop_id: str) -> dict[str, Any]:
        """Copy a drop an earlier `--keep` run generated (the generator is deterministic for a
        seed and size), instead of generating it again: at 500k that saves about 20 minutes."""
        source = self.args.drops_from
        shutil.copytree(source / "drops" / drop_id, workdir / "drops" / drop_id)
        log = source / "logs" / f"{drop_id}-generate.log"
        return {
            **_unmeasured_row("generate", f"reused from {source}"),
            "rows": (_generated_records(log) if log.exists() else 0) or None,
            "drop_mb": round(_folder_bytes(workdir / "drops" / drop_id) / 2**20, 1),
        }

    def stages(self, workdir: Path, stages: tuple[str, ...], drop_id: str) -> list[dict[str, Any]]:
        """Run stages in one fresh process; one row per stage, plus one for the process when
        it ran several (their wall, CPU and memory are the process's, measured once)."""
        if "model" in stages:
            # dagster-dbt seeds each invocation with DBT_TARGET_PATH/partial_parse.msgpack, as it
            # does from dbt/target by default: copy the project's, so dbt parses as it would.
            partial_parse = ROOT / "dbt" / "target" / "partial_parse.msgpack"
            if partial_parse.exists():
                (workdir / "dbt-target").mkdir(exist_ok=True)
                shutil.copy2(partial_parse, workdir / "dbt-target" / partial_parse.name)
        name = stages[0] if len(stages) == 1 else "all"
        result_path = workdir / "logs" / f"{drop_id}-{name}.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--run-stage",
            ",".join(stages),
            "--drop-id",
            drop_id,
            "--drops-dir",
            str(workdir / "drops"),
            "--workers",
            str(self.args.workers),
            "--result",
            str(result_path),
        ]
        log = workdir / "logs" / f"{drop_id}-{name}.log"
        measured = measure(
            command, cwd=workdir, env=stage_env(workdir, self.args.memory_limit), log=log
        )
        details = json.loads(result_path.read_text()) if result_path.exists() else []
        counts = _helper("count-rows", str(workdir))
        rows = []
        for stage in stages:
            detail = next((d for d in details if d["stage"] == stage), {})
            own = (
                measured
                if len(stages) == 1
                else {
                    "wall_seconds": (detail.get("run_seconds") or 0)
                    + (detail.get("load_seconds") or 0),
                    "max_rss_mb": measured["max_rss_mb"],
                    "tree_rss_mb": measured["tree_rss_mb"],
                    "cpu_seconds": None,
                    "exit_code": measured["exit_code"],
                    "note": "in one process: RSS is the process's",
                }
            )
            rows.append(self._stage_row(workdir, stage, drop_id, own, detail, counts, log))
        if len(stages) == 1:
            (workdir / "logs" / f"{drop_id}-{name}.row.json").write_text(
                json.dumps(rows[0], indent=2, default=str) + "\n"
            )
        if len(stages) > 1:
            rows.append(
                {
                    "stage": "all (one process)",
                    **measured,
                    "step_seconds": round(sum(r["step_seconds"] or 0 for r in rows), 3),
                    "rows": None,
                    "success": all(r["success"] for r in rows),
                    "one_process": True,
                }
            )
        return rows

    def _stage_row(
        self,
        workdir: Path,
        stage: str,
        drop_id: str,
        measured: dict[str, Any],
        detail: dict[str, Any],
        counts: dict[str, Any],
        log: Path,
    ) -> dict[str, Any]:
        row = {
            "stage": stage,
            **measured,
            "step_seconds": detail.get("step_seconds"),
            "run_seconds": detail.get("run_seconds"),
            "load_seconds": detail.get("load_seconds"),
            "rows": stage_rows(stage, drop_id, counts),
            "success": detail.get("success", False) and measured["exit_code"] == 0,
            "checks": detail.get("checks"),
            "failed_checks": detail.get("failed_checks", []),
            "timers": detail.get("timers", {}),
            "probes": detail.get("probes", {}),
            "steps": detail.get("steps", []),
            "extra": detail.get("extra", {}),
        }
        if stage == "release":
            row["warehouse_mb"] = round(
                _folder_bytes(workdir / "data" / "warehouse.duckdb") / 2**20, 1
            )
            row["release_repo_mb"] = round(
                _folder_bytes(workdir / "data" / "dataset_repo") / 2**20, 1
            )
        if not row["success"]:
            print(f"  stage {stage} failed ({log}):\n{_printable_failure(log)}", flush=True)
        errors = [c["check"] for c in row["failed_checks"] if c["severity"] == "ERROR"]
        if errors:
            print(
                f"  stage {stage}: {len(errors)} checks failed with ERROR severity: "
                + ", ".join(errors),
                flush=True,
            )
        return row

    def pass_of(
        self,
        workdir: Path,
        drop_id: str,
        conversations: int,
        label: str,
        one_process: bool,
        resume_from: str | None = None,
        **generate: Any,
    ) -> dict[str, Any]:
        if resume_from:
            start = STAGES.index(resume_from) if resume_from in STAGES else len(STAGES)
            rows = [earlier_row(workdir, drop_id, s) for s in ("generate", *STAGES[:start])]
        else:
            start = 0
            rows = [self.generate(workdir, drop_id, conversations, **generate)]
        for row in rows:
            print_row(label, row, conversations)
        todo = STAGES[start:]
        if self.args.stop_after:
            todo = todo[: todo.index(self.args.stop_after) + 1]
        processes = [todo] if one_process and todo else [(stage,) for stage in todo]
        for stages in processes:
            for row in self.stages(workdir, stages, drop_id):
                rows.append(row)
                print_row(label, row, conversations)
            if not rows[-1]["success"]:
                break
        return {"drop_id": drop_id, "conversations": conversations, "stages": rows}

    def run(self) -> int:
        print_header()
        sizes = sorted(self.args.sizes)
        for size in sizes:
            workdir = self.out / f"n{size}"
            resume = self.args.resume_from if size == sizes[0] else None
            if resume:
                if not (workdir / "data" / "warehouse.duckdb").is_file():
                    raise SystemExit(f"--resume-from: {workdir} holds no earlier run's warehouse")
            else:
                if self.args.drops_from and self.args.drops_from.resolve() == workdir.resolve():
                    raise SystemExit(f"--drops-from {workdir} is the folder this run starts afresh")
                if workdir.exists():
                    shutil.rmtree(workdir)
                (workdir / "drops").mkdir(parents=True)
            entry: dict[str, Any] = {}
            self.results["sizes"][str(size)] = entry
            full = self.pass_of(
                workdir, f"s{size:07d}-0-full", size, str(size), False, resume_from=resume
            )
            entry["full"] = full
            entry["full"]["totals"] = totals(full["stages"])
            self.save()
            if not all(s.get("success", True) for s in full["stages"]):
                return 1
            if size == sizes[-1] and not self.args.no_increment and not self.args.stop_after:
                n_increment = max(MIN_INCREMENT, round(size * self.args.increment_share))
                first_user = _helper("n-users", str(size))
                increment = self.pass_of(
                    workdir,
                    f"s{size:07d}-1-increment",
                    n_increment,
                    f"+{n_increment}",
                    not self.args.increment_per_stage,
                    first_user=first_user,
                )
                increment["share_of_conversations"] = round(n_increment / size, 4)
                increment["totals"] = totals(increment["stages"])
                increment["relative_to_full"] = {
                    key: round(increment["totals"][key] / full["totals"][key], 3)
                    if full["totals"][key]
                    else None
                    for key in (
                        "wall_seconds",
                        "pipeline_wall_seconds",
                        "step_seconds",
                        "cpu_seconds",
                    )
                }
                increment["jobs"] = job_shares(increment["stages"], full["totals"])
                entry["increment"] = increment
                self.save()
                print_row(
                    f"+{n_increment}",
                    {"stage": "TOTAL (increment / full)", **_relative_row(increment, full)},
                    n_increment,
                )
            if not self.args.keep:
                for folder in ("drops", "data", "dbt-target"):
                    shutil.rmtree(workdir / folder, ignore_errors=True)
        print_summary(self.results)
        self.save()
        print(f"\nwritten: {self.out / 'scale_benchmark.json'} and {self.args.results}")
        return 0


def earlier_row(workdir: Path, drop_id: str, stage: str) -> dict[str, Any]:
    """The row an earlier run measured for a stage (--resume-from), or an empty one naming it."""
    path = workdir / "logs" / f"{drop_id}-{stage}.row.json"
    if path.is_file():
        row = json.loads(path.read_text())
        return {**row, "note": f"{row.get('note') or ''} measured by an earlier run".strip()}
    return _unmeasured_row(stage, "run by an earlier run, which kept no figures")


def _unmeasured_row(stage: str, note: str) -> dict[str, Any]:
    """A row for a stage this run did not measure: zero figures, and a note saying why."""
    return {
        "stage": stage,
        "wall_seconds": 0.0,
        "cpu_seconds": 0.0,
        "max_rss_mb": 0.0,
        "tree_rss_mb": 0.0,
        "exit_code": 0,
        "step_seconds": None,
        "rows": None,
        "note": note,
    }


def _generated_records(log: Path) -> int:
    """Records the generator reports in its log (`<table> <count> records` per table)."""
    records = 0
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "records":
            records += int(parts[1].replace(",", ""))
    return records


def totals(stages: list[dict[str, Any]]) -> dict[str, float]:
    """Sums over the stage processes; a pass run in one process counts that process once."""
    whole = [s for s in stages if s.get("one_process")]
    measured = whole or [s for s in stages if s["stage"] != "generate"]
    generate = [s for s in stages if s["stage"] == "generate"]
    return {
        "wall_seconds": round(sum(s["wall_seconds"] for s in measured + generate), 1),
        "pipeline_wall_seconds": round(sum(s["wall_seconds"] for s in measured), 1),
        "step_seconds": round(sum(s["step_seconds"] or 0 for s in measured), 1),
        "cpu_seconds": round(sum(s["cpu_seconds"] for s in measured), 1),
        "max_rss_mb": max(s["max_rss_mb"] for s in measured + generate),
        "tree_rss_mb": max(s["tree_rss_mb"] for s in measured + generate),
    }


def job_shares(stages: list[dict[str, Any]], full_totals: dict[str, float]) -> dict[str, Any]:
    """The increment's wall time per job of the product, and its share of the full run's.

    A stage's wall time in one process is its Dagster run plus, for the first, the definitions'
    load; what the process spends starting and ending is in neither job."""
    by_stage = {s["stage"]: s["wall_seconds"] for s in stages}
    shares = {}
    for job, names in JOB_STAGES.items():
        seconds = round(sum(by_stage.get(name, 0.0) for name in names), 1)
        shares[job] = {
            "stages": list(names),
            "wall_seconds": seconds,
            "share_of_full_wall": round(seconds / full_totals["pipeline_wall_seconds"], 3)
            if full_totals["pipeline_wall_seconds"]
            else None,
        }
    return shares


def _relative_row(increment: dict[str, Any], full: dict[str, Any]) -> dict[str, Any]:
    rel = increment["relative_to_full"]
    return {
        "wall_seconds": increment["totals"]["pipeline_wall_seconds"],
        "step_seconds": increment["totals"]["step_seconds"],
        "cpu_seconds": increment["totals"]["cpu_seconds"],
        "rows": None,
        "max_rss_mb": increment["totals"]["max_rss_mb"],
        "tree_rss_mb": increment["totals"]["tree_rss_mb"],
        "note": f"{rel['pipeline_wall_seconds']:.1%} of full wall, "
        f"{rel['step_seconds']:.1%} of full step, {rel['cpu_seconds']:.1%} of full cpu",
    }


_COLUMNS = (
    "size",
    "stage",
    "rows",
    "wall s",
    "step s",
    "cpu s",
    "rows/s",
    "conv/s",
    "max RSS MB",
    "tree RSS MB",
)


def print_header() -> None:
    print(
        f"{_COLUMNS[0]:>8} {_COLUMNS[1]:<15} {_COLUMNS[2]:>10} {_COLUMNS[3]:>8} "
        f"{_COLUMNS[4]:>8} {_COLUMNS[5]:>8} {_COLUMNS[6]:>9} {_COLUMNS[7]:>8} "
        f"{_COLUMNS[8]:>10} {_COLUMNS[9]:>11}",
        flush=True,
    )


def print_row(label: str, row: dict[str, Any], conversations: int) -> None:
    # Throughput over the stage's own work: Dagster's step time, or the wall time of the
    # generator (which is no Dagster run).
    seconds = row.get("step_seconds") or row.get("wall_seconds")
    rows = row.get("rows")
    rate = f"{rows / seconds:9.0f}" if rows and seconds else f"{'':>9}"
    conv = f"{conversations / seconds:8.1f}" if rows and seconds else f"{'':>8}"
    step = f"{row['step_seconds']:8.1f}" if row.get("step_seconds") is not None else f"{'':>8}"
    cpu = f"{row['cpu_seconds']:8.1f}" if row.get("cpu_seconds") is not None else f"{'':>8}"
    print(
        f"{label:>8} {row['stage']:<15} {rows if rows is not None else '':>10} "
        f"{row['wall_seconds']:8.1f} {step} {cpu} {rate} {conv} "
        f"{row['max_rss_mb']:10.0f} {row['tree_rss_mb']:11.0f}"
        + (f"  {row['note']}" if row.get("note") else ""),
        flush=True,
    )


def print_summary(results: dict[str, Any]) -> None:
    """Per size: totals, and the internal phases that took longest."""
    print("\nTotals per size (pipeline stages, without generate):")
    for size, entry in results["sizes"].items():
        t = entry["full"]["totals"]
        print(
            f"  {size:>8}: wall {t['pipeline_wall_seconds']:.1f} s, steps "
            f"{t['step_seconds']:.1f} s, cpu {t['cpu_seconds']:.1f} s, generate "
            f"{entry['full']['stages'][0]['wall_seconds']:.1f} s, largest process "
            f"{t['max_rss_mb']:.0f} MB, largest tree {t['tree_rss_mb']:.0f} MB"
        )
        if "increment" in entry:
            inc = entry["increment"]
            rel = inc["relative_to_full"]
            print(
                f"  {'+' + str(inc['conversations']):>8}: wall "
                f"{inc['totals']['pipeline_wall_seconds']:.1f} s "
                f"({rel['pipeline_wall_seconds']:.1%} of full), steps "
                f"{inc['totals']['step_seconds']:.1f} s ({rel['step_seconds']:.1%} of full), "
                f"cpu {inc['totals']['cpu_seconds']:.1f} s ({rel['cpu_seconds']:.1%} of full)"
            )
            for job, part in inc.get("jobs", {}).items():
                print(
                    f"  {'':>8}  of which job {job} ({', '.join(part['stages'])}): wall "
                    f"{part['wall_seconds']:.1f} s ({part['share_of_full_wall']:.1%} of full)"
                )
    print("\nInternal phases (seconds, from timers inside the stage processes):")
    for size, entry in results["sizes"].items():
        for part in ("full", "increment"):
            if part not in entry:
                continue
            for stage in entry[part]["stages"]:
                phases = [(label, t["seconds"]) for label, t in stage.get("timers", {}).items()]
                extra = stage.get("extra") or {}
                dbt = extra.get("dbt") or {}
                if dbt:
                    phases.append(("dbt build: dbt's elapsed time", dbt["elapsed_seconds"]))
                    for kind, seconds in dbt["execution_seconds_by_kind"].items():
                        phases.append((f"  of which {kind} execution (summed)", seconds))
                for label, seconds in phases:
                    print(f"  {size:>8} {part:<9} {stage['stage']:<8} {label:<48} {seconds:9.1f}")
                if "texts_in_drop" in extra:
                    print(
                        f"  {size:>8} {part:<9} {stage['stage']:<8} texts "
                        f"{extra['texts_in_drop']}, analyzed {extra.get('texts_analyzed')}, "
                        f"from the cache {extra.get('cache_hits')}"
                    )
    print("\nMemory inside the stage process (RSS, DuckDB's duckdb_memory(); sizes only):")
    for size, entry in results["sizes"].items():
        for part in ("full", "increment"):
            for stage in entry.get(part, {}).get("stages", []):
                for label, found in stage.get("probes", {}).items():
                    values = ", ".join(f"{k} {v}" for k, v in found.items())
                    print(f"  {size:>8} {part:<9} {label:<38} {values}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="benchmarks/scale_benchmark.py",
        description="Wall time, rows/s and peak memory of every pipeline stage on generated "
        "drops of growing size, and the cost of an incremental drop.",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[5000, 50000],
        help="conversations per generated drop (default: 5000 50000)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"working folder and JSON (default: {DEFAULT_OUT.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help=f"the committed copy of the figures (default: {RESULTS.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="generator seed (default: the bundled sample's)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="scrubber processes (the scrub asset's default: 2)"
    )
    parser.add_argument(
        "--increment-share",
        type=float,
        default=0.01,
        help="new conversations of the incremental drop, as a share of the "
        f"largest size (at least {MIN_INCREMENT}; default 0.01)",
    )
    parser.add_argument(
        "--memory-limit",
        help="DuckDB's memory cap for every stage, e.g. 1GB (default: the pipeline's, "
        "PIPELINES_DUCKDB_MEMORY_LIMIT's default)",
    )
    parser.add_argument("--no-increment", action="store_true", help="skip the incremental run")
    parser.add_argument(
        "--increment-per-stage",
        action="store_true",
        help="run the incremental drop's stages one process each, like the full run (default: "
        "all in one process, as `pipelines run` and the sensor's runs process a new drop)",
    )
    parser.add_argument(
        "--drops-from",
        type=Path,
        help="the size folder of an earlier --keep run (e.g. data/benchmarks/scale/n500000): "
        "copy its drops instead of generating them again (same seed and sizes only)",
    )
    parser.add_argument(
        "--resume-from",
        choices=[*STAGES, "increment"],
        help="continue the (first) size's working folder from this stage, or from the "
        "incremental run, e.g. after a failed or stopped run: its drops and warehouse are used "
        "as they are",
    )
    parser.add_argument(
        "--stop-after", choices=STAGES, help="run the full pass up to this stage (no increment)"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep each size's drops and data folder (default: delete them, keep the logs)",
    )
    # The stage process (internal).
    parser.add_argument("--run-stage", help=argparse.SUPPRESS)
    parser.add_argument("--drop-id", help=argparse.SUPPRESS)
    parser.add_argument("--drops-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--helper", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.helper:
        name, value = args.helper
        found = _count_rows(Path(value)) if name == "count-rows" else _n_users(int(value))
        print(json.dumps(found))
        return 0
    if args.run_stage:
        return run_stages(
            args.run_stage.split(","), args.drop_id, args.drops_dir, args.workers, args.result
        )
    return Benchmark(args).run()


if __name__ == "__main__":
    sys.exit(main())
