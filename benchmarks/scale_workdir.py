"""The scale benchmark's working folder: the stages' environment, row counts, the rows kept for
`--resume-from`, and small helpers run in a child process so the measuring process stays small."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "scale_benchmark.py"
# A key for pseudonymous ids, fixed so runs compare; the drops are generated, never real data.
BENCHMARK_HASH_KEY = "scale-benchmark-key-not-a-secret"


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


def count_rows(workdir: Path) -> dict[str, Any]:
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


def run_helper(*args: str) -> Any:
    """Run a helper of this script in a short child process and return its JSON.

    The measuring process stays small (no DuckDB or pipeline imports): Linux counts the memory of
    a forked child before it execs the command, so a large parent would inflate small stages'
    peak RSS."""
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--helper", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


def n_users(conversations: int) -> int:
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


def folder_bytes(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (0 if it does not exist)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def printable_failure(log: Path) -> str:
    """The error lines of a failed stage's log: exception names and messages, cut short."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    wanted = [
        line.strip()[:200]
        for line in lines
        if any(word in line for word in ("Error", "Exception", "Failure", "failed"))
        and not line.startswith(" ")
    ]
    return "\n".join(wanted[-6:]) or "(no error line; see the log)"


def git_commit() -> str | None:
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
    """The row an earlier run measured for a stage (--resume-from), or an empty one naming it.
    The note names the commit that measured it, which may not be this run's."""
    path = workdir / "logs" / f"{drop_id}-{stage}.row.json"
    if path.is_file():
        row = json.loads(path.read_text())
        commit = row.pop("commit", None)
        earlier = "measured by an earlier run" + (f" at {commit}" if commit else "")
        return {**row, "note": f"{row.get('note') or ''} {earlier}".strip()}
    return unmeasured_row(stage, "run by an earlier run, which kept no figures")


def unmeasured_row(stage: str, note: str) -> dict[str, Any]:
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


def generated_records(log: Path) -> int:
    """Records the generator reports in its log (`<table> <count> records` per table)."""
    records = 0
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "records":
            records += int(parts[1].replace(",", ""))
    return records
