"""The scale benchmark's stage process: stages of the pipeline run as the project's own Dagster
jobs, with clocks around the main internal phases and dbt's own timings.

`benchmarks/scale_benchmark.py --run-stage <stages>` runs them in a fresh process; wrappers
only add a clock (or a memory probe, sizes only) around pipeline functions.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from benchmarks.scale_results import JOB_STAGES

PARTITIONED = frozenset(JOB_STAGES["process_drop"])
GE_CHECK = "great_expectations"
_QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


class _Timers:
    """Seconds and calls per wrapped function; wrappers only add a clock around the call."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.dbt_runs: list[dict[str, Any]] = []
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
        import pipelines.defs.models.assets as model_assets

        # The asset deletes each invocation's target folder once dbt has ended; its last call on
        # that folder (keeping the partial-parse state) is when run_results.json can be read.
        original = model_assets.keep_partial_parse

        def keep_partial_parse(invocation_target: Path, *args: Any, **kwargs: Any) -> Any:
            with contextlib.suppress(Exception):
                timers.dbt_runs.append(_dbt_timing(Path(invocation_target) / "run_results.json"))
            return original(invocation_target, *args, **kwargs)

        model_assets.keep_partial_parse = keep_partial_parse
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
        # The baselines sit between the two dbt invocations, as in `pipelines run`: the full
        # pass pays for embedding every text once, and an increment reads them from the cache.
        return dg.AssetSelection.groups(
            "models", "baselines"
        ).without_checks() | dg.AssetSelection.checks(
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
    """dbt's own account of one invocation: elapsed time, execution time per node kind, and per
    model (tests summed, with the slowest named)."""
    if not run_results.exists():
        return {}
    results = json.loads(run_results.read_text())
    by_kind: dict[str, float] = {}
    models: dict[str, float] = {}
    tests: list[tuple[float, str]] = []
    for node in results["results"]:
        # model.<project>.<name>; test.<project>.<name>.<hash>
        kind, name = node["unique_id"].split(".")[0], node["unique_id"].split(".")[2]
        by_kind[kind] = by_kind.get(kind, 0.0) + node["execution_time"]
        if kind == "model":
            models[name] = round(node["execution_time"], 3)
        elif kind == "test":
            tests.append((node["execution_time"], name))
    return {
        "elapsed_seconds": round(results["elapsed_time"], 3),
        "nodes": len(results["results"]),
        "execution_seconds_by_kind": {k: round(v, 3) for k, v in sorted(by_kind.items())},
        "model_seconds": dict(sorted(models.items(), key=lambda m: -m[1])),
        "slowest_tests": [[name, round(t, 3)] for t, name in sorted(tests, reverse=True)[:8]],
    }


def _dbt_summed(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The invocations of a stage together: elapsed and execution times summed."""
    by_kind: dict[str, float] = {}
    for run in runs:
        for kind, seconds in run.get("execution_seconds_by_kind", {}).items():
            by_kind[kind] = round(by_kind.get(kind, 0.0) + seconds, 3)
    return {
        "invocations": len(runs),
        "elapsed_seconds": round(sum(r.get("elapsed_seconds", 0.0) for r in runs), 3),
        "nodes": sum(r.get("nodes", 0) for r in runs),
        "execution_seconds_by_kind": by_kind,
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
    timers.dbt_runs.clear()
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
    if timers.dbt_runs:
        extra["dbt_invocations"] = list(timers.dbt_runs)
        extra["dbt"] = _dbt_summed(timers.dbt_runs)
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
