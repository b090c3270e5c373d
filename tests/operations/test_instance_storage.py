"""Dagster's SQLite storage flushes at checkpoints: connections to a WAL database get
`synchronous=NORMAL`, any other database keeps SQLite's default."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from pipelines.instance_storage import flush_at_checkpoints

NORMAL, FULL = 1, 2


def _synchronous(path: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("pragma synchronous")).scalar_one()
    finally:
        engine.dispose()


def test_wal_databases_flush_at_checkpoints_and_others_keep_the_default(tmp_path):
    flush_at_checkpoints()
    flush_at_checkpoints()  # installed once however often it is called
    wal, rollback = tmp_path / "wal.db", tmp_path / "rollback.db"
    with sqlite3.connect(wal) as conn:
        conn.execute("pragma journal_mode=wal")
    sqlite3.connect(rollback).close()
    assert _synchronous(wal) == NORMAL
    assert _synchronous(rollback) == FULL


def test_a_dagster_instances_run_storage_is_wal_and_flushes_at_checkpoints(tmp_path):
    flush_at_checkpoints()
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        instance.add_run(dg.DagsterRun(job_name="a_job", run_id="a-run"))
        runs_db = next(tmp_path.rglob("runs.db"))
    assert _synchronous(runs_db) == NORMAL
