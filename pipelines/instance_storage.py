"""Dagster's SQLite storage, with an event log that keeps its database connections open.

Dagster's SQLite event log opens a new SQLAlchemy engine for every event it stores (a run stores
several hundred: each check's evaluation, each dbt node's output, each log line) and discards it
after one insert, so every event pays an engine's set-up, a fresh connection and SQL compiled
again: about 5 ms of CPU, a few seconds of every run. This event log keeps an engine, with its
open connection and compiled statements, for each of the few databases it last used (the index
and the current runs' shards): about 1.5 ms per event. The files, their schema and what is stored
are Dagster's own; the UI and the daemon read them as they would any SQLite instance.

Dagster also asks, before storing many events, whether one of its tables exists, through yet
another engine each time: the answer, once yes, is remembered.

Configured in dagster.yaml (`storage: custom:`). It overrides two methods of Dagster's event log,
the private `_connect` and `has_table` (Dagster is pinned in pyproject.toml); the CLI and the UI
run on it.
"""

from __future__ import annotations

import os
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData

# Databases whose engine stays open: the index and the shards of the runs in progress. A
# process that reads many runs (the UI) closes the least recently used beyond this.
OPEN_SHARDS = 4

_OPEN_STORAGES: weakref.WeakSet[PooledSqliteEventLogStorage] = weakref.WeakSet()
# A forked child's copies of its parent's connections: kept referenced, never used or closed.
_INHERITED: list[sqlalchemy.Engine] = []


def _forget_inherited_engines() -> None:
    for storage in list(_OPEN_STORAGES):
        _INHERITED.extend(storage._engines.values())
        for engine in storage._engines.values():
            engine.dispose(close=False)
        storage._engines.clear()


# A forked child (the scrub's detector workers) must not use or close its parent's connections:
# it forgets them and opens its own if it ever needs any.
os.register_at_fork(after_in_child=_forget_inherited_engines)


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, each recently used database kept open."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        # Used under the event log's own lock, like the connections.
        self._engines: OrderedDict[str, sqlalchemy.Engine] = OrderedDict()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)
        _OPEN_STORAGES.add(self)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: dict
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> sqlalchemy.Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = sqlalchemy.create_engine(
                self.conn_string_for_shard(shard),
                pool_size=1,
                # Dagster reaches one database from a few threads (the run, its log watcher),
                # one at a time under its lock.
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
        self._engines[shard] = engine
        while len(self._engines) > OPEN_SHARDS:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sqlalchemy.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        """Dagster asks before storing many events (each check's evaluation, each event's tags)
        whether one of its tables exists, through a new engine each time; a table, once there,
        stays (migrations add tables, nothing drops one), so a table found is not looked up
        again."""
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, events, schedules under `base_dir`), its event log
    PooledSqliteEventLogStorage."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: dict
    ) -> PooledSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
