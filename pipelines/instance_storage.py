"""Dagster's SQLite storage, flushed to disk at checkpoints rather than at every event.

Dagster's SQLite storage opens a connection per event and commits it with a full `fsync`: a
`pipelines run` writes a few thousand events (every dbt node's materialization and check), and on
a disk each flush waits for the disk. Its databases are in WAL mode, where `synchronous=NORMAL`
keeps them consistent through any crash and flushes at checkpoints; a power cut can lose the
last events of the run history, never the warehouse or the release, which are written elsewhere.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _flush_at_checkpoints(dbapi_connection: object, _record: object) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return  # DuckDB and any other database keep their own settings
    (mode,) = dbapi_connection.execute("pragma journal_mode").fetchone()
    if mode == "wal":
        dbapi_connection.execute("pragma synchronous=normal")


def flush_at_checkpoints() -> None:
    """Apply the setting to every SQLite connection SQLAlchemy opens in this process."""
    if not event.contains(Engine, "connect", _flush_at_checkpoints):
        event.listen(Engine, "connect", _flush_at_checkpoints)
