"""The staging database: a drop's scrubbed rows and new pseudonym numbers wait there until the
residual-leak scan passes, then one short transaction swaps them into `scrubbed`.

It is a DuckDB file of its own next to the warehouse, attached: DuckDB cannot checkpoint the
warehouse while the scrub reads it, so rows appended there stayed in memory and squeezed the sort
of the rows being read until it ran out (500k conversations, `stage2_judgments`). A drop that fails
the scan, or a run killed half-way, leaves `scrubbed` as it was; the next scrub clears the staging
database first.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.contract.tables import TABLES, Table, later_deliveries, registered, transaction

SCHEMA = "scrubbed"
# One scrub at a time writes it: every asset that writes the warehouse is in the pool "duckdb".
STAGING = "scrub_staging"
# The drop's new pseudonym numbers, moved to private.pseudonyms by the swap.
STAGED_PSEUDONYMS = f"{STAGING}._new_pseudonyms"


class Staging:
    """The staging database of one connection's warehouse."""

    def __init__(self, conn: duckdb.DuckDBPyConnection):
        self.conn = conn

    def path(self) -> Path:
        (path,) = self.conn.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        if path:
            return Path(path).with_suffix(".scrub-staging.duckdb")
        return Path(tempfile.gettempdir()) / f"scrub-staging-{os.getpid()}.duckdb"

    def clear(self) -> None:
        """Detach the staging database and delete its file (a killed run's included)."""
        (attached,) = self.conn.execute(
            "select count(*) from duckdb_databases() where database_name = ?", [STAGING]
        ).fetchone()
        if attached:
            self.conn.execute(f"detach {STAGING}")
        path = self.path()
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)

    def open(self) -> None:
        """Attach the staging database with empty tables shaped like `scrubbed`'s."""
        path = str(self.path()).replace("'", "''")
        self.conn.execute(f"attach '{path}' as {STAGING}")
        for table in TABLES.values():
            self.conn.execute(table.ddl(STAGING))
        self.conn.execute(
            f"create table {STAGED_PSEUDONYMS} as select * from private.pseudonyms limit 0"
        )

    def insert(self, table: Table, frame: pa.Table) -> None:
        """Append scrubbed rows to the staging table."""
        with registered(self.conn, "scrubbed_batch", frame):
            self.conn.execute(
                f"insert into {STAGING}.{table.name} ({', '.join(table.all_columns)}) "
                f"select {', '.join(table.all_columns)} from scrubbed_batch"
            )

    def swap_in(
        self,
        drop_id: str,
        also: Callable[[], None],
        progress: Callable[[str], None],
    ) -> dict[str, int]:
        """One transaction: the staged drop replaces its earlier rows and any key it delivers
        again, except where a drop delivered later holds the key (`raw.drops`), as in `raw`;
        `also` runs inside it, and the staged pseudonym numbers join `private.pseudonyms`.

        Returns, per table, the drop's rows left to later-delivered drops."""
        later = later_deliveries(self.conn, drop_id)
        left: dict[str, int] = {}
        with transaction(self.conn):
            for table in TABLES.values():
                left_out = table.replace_drop(self.conn, SCHEMA, STAGING, drop_id, later)
                if left_out:
                    left[table.name] = left_out
                    progress(f"{table.name}: {left_out} rows left to later-delivered drops")
            also()
            self.conn.execute(f"insert into private.pseudonyms select * from {STAGED_PSEUDONYMS}")
        return left
