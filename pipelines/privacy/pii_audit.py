"""The scrub's audit, `private.pii_audit`: findings per drop, entity type, table, field, source and
language group. Counts, never text; the data card reports them.
"""

from __future__ import annotations

from collections import Counter

import duckdb

AUDIT_DDL = """
create table if not exists private.pii_audit (
    _drop_id VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    language_group VARCHAR NOT NULL,
    entity_type VARCHAR NOT NULL,
    findings BIGINT NOT NULL
)"""


def create_audit(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(AUDIT_DDL)


def record_audit(conn: duckdb.DuckDBPyConnection, drop_id: str, findings: Counter) -> None:
    """Replace the drop's audit rows with `findings`: (table, field, source, language group,
    entity type) -> count. Runs inside the transaction that swaps the drop in."""
    conn.execute("delete from private.pii_audit where _drop_id = ?", [drop_id])
    audit_rows = [(drop_id, *k, n) for k, n in sorted(findings.items())]
    if audit_rows:
        conn.executemany("insert into private.pii_audit values (?, ?, ?, ?, ?, ?, ?)", audit_rows)
