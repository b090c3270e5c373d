"""The residual-leak scan on its own: every row of a repeated text is named."""

from __future__ import annotations

import duckdb

from pipelines.contract.tables import TABLES
from pipelines.privacy.audit import scan_tables


def test_a_leaking_text_repeated_in_many_rows_is_reported_for_each_row():
    conn = duckdb.connect()
    conn.execute("create schema staged")
    for table in TABLES.values():
        conn.execute(table.ddl("staged"))
    for index in range(3):
        conn.execute(
            "insert into staged.turns values ('c1', ?, 'user', ?, null, null, 'd1', 'c.jsonl', 1)",
            [index, "Write to ann@site.org today."],
        )
    conn.execute(
        "insert into staged.turns values ('c2', 0, 'user', 'Nothing here.', null, null, "
        "'d1', 'c.jsonl', 1)"
    )

    leaks = scan_tables(conn, "staged")

    assert sorted(
        (leak.key["conversation_id"], leak.key["turn_index"], leak.entity_type) for leak in leaks
    ) == [("c1", i, "EMAIL_ADDRESS") for i in range(3)]
    assert all("ann@site.org" not in leak.describe() for leak in leaks)
