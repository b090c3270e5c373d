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
import subprocess
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

DEFAULT_OUT = ROOT / "data" / "benchmarks" / "scale"
# The committed copy of the latest figures, which docs/benchmarks.md shows.
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
# A key for pseudonymous ids, fixed so runs compare; the drops are generated, never real data.
BENCHMARK_HASH_KEY = "scale-benchmark-key-not-a-secret"
MIN_INCREMENT = 40  # the generator's smallest drop with the study's mix of users


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
            "commit": _git_commit(),
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
        found["pipelines (git)"] = _git_commit()
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
        drop_bytes = _folder_bytes(workdir / "drops" / drop_id)
        row = {
            "stage": "generate",
            **measured,
            "step_seconds": None,
            "rows": _generated_records(workdir / "logs" / f"{drop_id}-generate.log"),
            "drop_mb": round(drop_bytes / 2**20, 1),
        }
        # For --resume-from, as every stage keeps its row.
        (workdir / "logs" / f"{drop_id}-generate.row.json").write_text(json.dumps(row) + "\n")
        return row

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


def _git_commit() -> str | None:
    """The checkout the benchmark ran: `git describe --always --dirty`."""
    with contextlib.suppress(Exception):
        return subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return None


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
        found = _count_rows(Path(value)) if name == "count-rows" else _n_users(int(value))
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
