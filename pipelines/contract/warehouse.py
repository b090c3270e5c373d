"""DuckDB helpers the contract's tables share with ingest, the privacy, model and release stages:
transactions, Arrow tables registered for a block, whether a table exists, and the ingest
bookkeeping tables of the raw schema (quarantine, ingested files, drop deliveries)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pyarrow as pa


def relation_exists(conn: duckdb.DuckDBPyConnection, relation: str) -> bool:
    """Whether `schema.name` is a table or view of the warehouse (a step may run before the one
    that creates it)."""
    schema, name = relation.split(".")
    (count,) = conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(count)


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection, name: str, frame: pa.Table) -> Iterator[None]:
    """An Arrow table that SQL reads as `name` during the block, unregistered however it ends."""
    conn.register(name, frame)
    try:
        yield
    finally:
        conn.unregister(name)


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One DuckDB transaction for the block: committed when it ends, rolled back if it raises."""
    conn.execute("begin transaction")
    try:
        yield
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise


def as_utc(value: datetime | None) -> datetime | None:
    """Timestamps without a zone are read as UTC, so every stored timestamp compares."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# Ingest bookkeeping, in the raw schema only.
QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    _drop_id VARCHAR NOT NULL,
    _file VARCHAR NOT NULL,
    _line BIGINT,
    table_name VARCHAR,
    field VARCHAR,
    reason VARCHAR NOT NULL,
    record_sha256 VARCHAR,
    raw_record VARCHAR
)"""
INGESTED_FILES_DDL = """
create table if not exists raw.ingested_files (
    _drop_id VARCHAR NOT NULL,
    _file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_landed BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL,
    primary key (_drop_id, _file)
)"""
# When each drop was delivered: its manifest's `created_at`, else the time it was first ingested.
# Of two drops that deliver the same key, the later delivery's row stays (drop ids break a tie).
DROPS_DDL = """
create table if not exists raw.drops (
    _drop_id VARCHAR NOT NULL,
    delivered_at TIMESTAMPTZ NOT NULL,
    delivered_at_from VARCHAR NOT NULL,
    primary key (_drop_id)
)"""


def create_drops_table(conn: duckdb.DuckDBPyConnection) -> None:
    """`raw.drops`; a drop landed before it was kept counts as delivered when first ingested."""
    conn.execute(DROPS_DDL)
    conn.execute(
        "insert into raw.drops select _drop_id, min(ingested_at), 'first ingest' "
        "from raw.ingested_files "
        "where _drop_id not in (select _drop_id from raw.drops) group by 1"
    )


def later_deliveries(conn: duckdb.DuckDBPyConnection, drop_id: str) -> list[str]:
    """The drops `raw.drops` says were delivered after `drop_id`: their rows win over its rows.
    None where no drop was ever ingested, so no delivery is recorded."""
    (recorded,) = conn.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'raw' and table_name = 'drops'"
    ).fetchone()
    if not recorded:
        return []
    return [
        later
        for (later,) in conn.execute(
            "select other._drop_id from raw.drops other, raw.drops this "
            "where this._drop_id = ? and (other.delivered_at > this.delivered_at or "
            "(other.delivered_at = this.delivered_at and other._drop_id > this._drop_id))",
            [drop_id],
        ).fetchall()
    ]
