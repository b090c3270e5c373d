"""`pipelines`: run the pipeline from a terminal, on the same definitions and instance as the UI.

Its parts: what is checked before a run (`cli_checks`), the guard of the processes a run starts
(`cli_guard`), where the output goes (`cli_output`), and what the run says at the end
(`cli_report`).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import time
import traceback
from pathlib import Path

from pipelines import settings
from pipelines.cli_checks import (
    dagster_instance,
    drop_path_problem,
    hash_key_problem,
    unwritable_data_dir,
)
from pipelines.cli_guard import (
    fail_orphaned_runs,
    process_tags,
    redeliver_swallowed_interrupts,
    start_guard,
)
from pipelines.cli_output import Terminal, WarningCount, output_to_log, run_log
from pipelines.cli_report import (
    coverage_report,
    drop_line,
    release_summary,
    summary,
    tables_report,
)

__all__ = ["fail_orphaned_runs", "main", "process_tags", "run"]

_QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def run(drops: list[Path], release_with_failed_drops: bool = False) -> int:
    """Process each drop (ingest, scrub), then rebuild models, checks and the release; refresh the
    Data Docs index once at the end, whatever the outcome.

    A failed drop does not stop the others, but the run then ends in failure and cuts no release
    (the release would mix the drop's earlier rows with the others' new ones) unless
    `release_with_failed_drops`.

    The terminal gets one line per drop and for the build, a count of the warnings and the
    summary; the whole output (dbt's, Dagster's, the warnings, a traceback) goes to run_log()."""
    problem = unwritable_data_dir()
    if problem:
        print(problem, file=sys.stderr, flush=True)
        return 1
    log = run_log()
    warnings_logged = WarningCount()
    logging.getLogger().addHandler(warnings_logged)
    try:
        with output_to_log(log) as say:
            say(f"log (dbt, Dagster, warnings): {log}")
            try:
                problem = hash_key_problem()
                if problem:
                    say(problem)
                    return 1
                # Great Expectations takes seconds to import: not for a run refused above.
                from pipelines.quality import refresh_data_docs_index

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


def _sample_answer_key(folder: Path) -> dict:
    """The bundled sample runs with its answer key (the values planted in it) handed to the leak
    scan, which looks for each of them too; no other drop has one."""
    if folder.resolve() == settings.SAMPLE_DROP and settings.SAMPLE_PII_MANIFEST.is_file():
        return {"scrubbed_tables": {"config": {"pii_manifest": str(settings.SAMPLE_PII_MANIFEST)}}}
    return {}


def _run_jobs(drops: list[Path], release_with_failed_drops: bool, say: Terminal) -> int:
    import duckdb

    from pipelines.definitions import defs
    from pipelines.defs.jobs import build_job, drop_job
    from pipelines.defs.models.metrics import HEADLINE_METRICS, format_metrics
    from pipelines.defs.partitions import drop_partitions
    from pipelines.ingest import DropError, check_drop_folder

    # What the imports above loaded lives as long as the run: frozen, the collector no longer
    # walks it.
    gc.freeze()
    instance = dagster_instance()
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
                "ops": {
                    "raw_tables": {"config": {"drops_dir": str(folder.parent)}},
                    **_sample_answer_key(folder),
                },
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
        say("\n" + coverage_report(conn, instance))
        say("\n" + format_metrics(conn, HEADLINE_METRICS))
    say(release_summary(instance))
    return 1 if failed else 0


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
    run_parser.add_argument(
        "--full-rebuild",
        action="store_true",
        help="rebuild every dbt model in full and export every file of the release, instead of "
        "the users and shards the drops changed; the result is the same "
        "(PIPELINES_FULL_REBUILD=true does the same)",
    )
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
        redeliver_swallowed_interrupts()
        if args.full_rebuild:
            os.environ["PIPELINES_FULL_REBUILD"] = "true"
        if args.max_quarantined_share is not None:
            os.environ["PIPELINES_MAX_QUARANTINED_SHARE"] = args.max_quarantined_share
            settings.max_quarantined_share("")  # a malformed value stops the run here
        drops = [d.resolve() for d in args.drops] or sorted(
            p for p in settings.drops_dir().iterdir() if p.is_dir()
        )
        return run(drops, args.release_with_failed_drops or settings.release_with_failed_drops())
    return 2


if __name__ == "__main__":
    sys.exit(main())
