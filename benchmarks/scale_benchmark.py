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
   | `model`          | the dbt project (`dbt build`: models and dbt tests) and the stage-2     |
   |                  | baselines between its two invocations, all drops                       |
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
`duckdb_memory()` at two points of ingest and scrub (benchmarks/scale_stage.py). It prints one
table, the totals, the phases and the probes, and writes `<out>/scale_benchmark.json` and
`--results` (`benchmarks/results/scale.json`, shaped by benchmarks/scale_results.py).

Only counts and timings are printed: the generated drops hold planted (fake) personal data; the
stage logs stay in `<out>/n<size>/logs/`, dbt's per-run target folders in `<out>/n<size>/`
(DBT_TARGET_PATH). Each size's drops, warehouse and release are deleted after it unless --keep.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.process_measure import measure  # noqa: E402
from benchmarks.results_header import now, results_header  # noqa: E402
from benchmarks.scale_results import (  # noqa: E402
    STAGES,
    job_shares,
    print_header,
    print_row,
    print_summary,
    relative_row,
    relative_to_full,
    shaped,
    totals,
)
from benchmarks.scale_workdir import (  # noqa: E402
    count_rows,
    earlier_row,
    folder_bytes,
    generated_records,
    git_commit,
    n_users,
    printable_failure,
    run_helper,
    stage_env,
    stage_rows,
    unmeasured_row,
)

DEFAULT_OUT = ROOT / "data" / "benchmarks" / "scale"
# The committed copy of the latest figures, which docs/benchmarks.md shows.
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
MIN_INCREMENT = 40  # the generator's smallest drop with the study's mix of users


class Benchmark:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.out: Path = args.out.resolve()
        self.results: dict[str, Any] = {
            "commit": git_commit(),
            **results_header("scale_benchmark.py", time_key="started_at"),
            "versions": self._versions(),
            "settings": {
                "seed": "the generator's default" if args.seed is None else args.seed,
                "duckdb_memory_limit": args.memory_limit or "the pipeline's default",
                "scrub_workers": args.workers,
                "increment_share": args.increment_share,
            },
            "runs": {},
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
        found["pipelines (git)"] = git_commit()
        return found

    def save(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.results["finished_at"] = now()
        text = json.dumps(shaped(self.results), indent=2, default=str) + "\n"
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
        drop_bytes = folder_bytes(workdir / "drops" / drop_id)
        row = {
            "stage": "generate",
            **measured,
            "step_seconds": None,
            "rows": generated_records(workdir / "logs" / f"{drop_id}-generate.log"),
            "drop_mb": round(drop_bytes / 2**20, 1),
        }
        # For --resume-from, as every stage keeps its row.
        (workdir / "logs" / f"{drop_id}-generate.row.json").write_text(
            json.dumps({**row, "commit": git_commit()}) + "\n"
        )
        return row

    def reuse(self, workdir: Path, drop_id: str) -> dict[str, Any]:
        """Copy a drop an earlier `--keep` run generated (the generator is deterministic for a
        seed and size), instead of generating it again: at 500k that saves about 20 minutes."""
        source = self.args.drops_from
        shutil.copytree(source / "drops" / drop_id, workdir / "drops" / drop_id)
        log = source / "logs" / f"{drop_id}-generate.log"
        row = {
            **unmeasured_row("generate", f"reused from {source}"),
            "rows": (generated_records(log) if log.exists() else 0) or None,
            "drop_mb": round(folder_bytes(workdir / "drops" / drop_id) / 2**20, 1),
        }
        # For --resume-from, as every stage keeps its row.
        (workdir / "logs").mkdir(exist_ok=True)
        (workdir / "logs" / f"{drop_id}-generate.row.json").write_text(json.dumps(row) + "\n")
        return row

    def stages(self, workdir: Path, stages: tuple[str, ...], drop_id: str) -> list[dict[str, Any]]:
        """Run stages in one fresh process; one row per stage, plus one for the process when
        it ran several (their wall, CPU and memory are the process's, measured once)."""
        partial_parse = ROOT / "dbt" / "target" / "partial_parse.msgpack"
        kept = workdir / "dbt-target" / partial_parse.name
        if "model" in stages and partial_parse.exists() and not kept.exists():
            # dagster-dbt seeds each invocation with DBT_TARGET_PATH/partial_parse.msgpack, as it
            # does from dbt/target by default. The first model stage starts from the project's
            # (made for another warehouse: dbt parses the whole project, as a new setup does);
            # later ones from the state the earlier builds of this warehouse kept, as the
            # pipeline's scheduled runs do.
            kept.parent.mkdir(exist_ok=True)
            shutil.copy2(partial_parse, kept)
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
        counts = run_helper("count-rows", str(workdir))
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
                json.dumps({**rows[0], "commit": git_commit()}, indent=2, default=str) + "\n"
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
                folder_bytes(workdir / "data" / "warehouse.duckdb") / 2**20, 1
            )
            row["release_repo_mb"] = round(
                folder_bytes(workdir / "data" / "dataset_repo") / 2**20, 1
            )
        if not row["success"]:
            print(f"  stage {stage} failed ({log}):\n{printable_failure(log)}", flush=True)
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

    def keep_full_state(self, workdir: Path) -> None:
        """Copy the warehouse, Dagster storage and release repo as the full pass left them, so
        that `--resume-from increment` can measure the increment again on the same state."""
        state = workdir / "full-state"
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(workdir / "data", state / "data", symlinks=True)

    def restore_full_state(self, workdir: Path) -> None:
        """Put back the state the full pass left (`keep_full_state`) and drop the increment's
        earlier drop, when a `--keep` run kept that state."""
        state = workdir / "full-state"
        if not (state / "data").is_dir():
            return
        shutil.rmtree(workdir / "data", ignore_errors=True)
        shutil.copytree(state / "data", workdir / "data", symlinks=True)
        for drop in (workdir / "drops").glob("*-1-increment"):
            shutil.rmtree(drop)
        print(f"  restored the full pass's state from {state}", flush=True)

    def run(self) -> int:
        print_header()
        sizes = sorted(self.args.sizes)
        for size in sizes:
            workdir = self.out / f"n{size}"
            resume = self.args.resume_from if size == sizes[0] else None
            if resume:
                if resume == "increment":
                    self.restore_full_state(workdir)
                if not (workdir / "data" / "warehouse.duckdb").is_file():
                    raise SystemExit(f"--resume-from: {workdir} holds no earlier run's warehouse")
            else:
                if self.args.drops_from and self.args.drops_from.resolve() == workdir.resolve():
                    raise SystemExit(f"--drops-from {workdir} is the folder this run starts afresh")
                if workdir.exists():
                    shutil.rmtree(workdir)
                (workdir / "drops").mkdir(parents=True)
            entry: dict[str, Any] = {}
            self.results["runs"][str(size)] = entry
            full = self.pass_of(
                workdir, f"s{size:07d}-0-full", size, str(size), False, resume_from=resume
            )
            entry["full"] = full
            entry["full"]["totals"] = totals(full["stages"])
            self.save()
            if not all(s.get("success", True) for s in full["stages"]):
                return 1
            if self.args.keep and resume != "increment":
                self.keep_full_state(workdir)
            if size == sizes[-1] and not self.args.no_increment and not self.args.stop_after:
                n_increment = max(MIN_INCREMENT, round(size * self.args.increment_share))
                first_user = run_helper("n-users", str(size))
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
                increment["relative_to_full"] = relative_to_full(increment, full)
                increment["jobs"] = job_shares(increment["stages"], full["totals"])
                entry["increment"] = increment
                self.save()
                print_row(f"+{n_increment}", relative_row(increment), n_increment)
            if not self.args.keep:
                for folder in ("drops", "data", "dbt-target"):
                    shutil.rmtree(workdir / folder, ignore_errors=True)
        print_summary(self.results)
        self.save()
        print(f"\nwritten: {self.out / 'scale_benchmark.json'} and {self.args.results}")
        return 0


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
        "as they are; with `increment`, a --keep run's full-pass state is restored first, so "
        "the increment can be measured again",
    )
    parser.add_argument(
        "--stop-after", choices=STAGES, help="run the full pass up to this stage (no increment)"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep each size's drops and data folder, and a copy of the data folder as the full "
        "pass left it (<size>/full-state) for --resume-from increment (default: delete them, "
        "keep the logs)",
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
        found = count_rows(Path(value)) if name == "count-rows" else n_users(int(value))
        print(json.dumps(found))
        return 0
    if args.run_stage:
        from benchmarks.scale_stage import run_stages

        return run_stages(
            args.run_stage.split(","), args.drop_id, args.drops_dir, args.workers, args.result
        )
    return Benchmark(args).run()


if __name__ == "__main__":
    sys.exit(main())
