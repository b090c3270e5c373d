"""The checks that need all of a drop's staged rows: keys repeated within the drop, references to
rows that exist nowhere, and the share of each file's lines quarantined, which fails the drop
when it is over its bound."""

from __future__ import annotations

import duckdb

from pipelines import settings
from pipelines.contract.tables import RAW_FILES, REFERENCES, TABLES
from pipelines.ingest.folder import DropError
from pipelines.ingest.landing import QUARANTINE_COLUMNS, RAW_SCHEMA, staging_schema
from pipelines.ingest.reports import DropReport


def _quarantine_where(
    conn: duckdb.DuckDBPyConnection,
    staging: str,
    table: str,
    field_name: str,
    reason_sql: str,
    source_sql: str,
) -> None:
    """Quarantine the records of `source_sql` (rows of staging `table`), with all their rows."""
    (added,) = conn.execute(
        f"""
        insert into {staging}.quarantine ({", ".join(QUARANTINE_COLUMNS)})
        select distinct _drop_id, _file, _line, '{table}', '{field_name}', {reason_sql}, null, null
        from ({source_sql})
        """
    ).fetchone()
    if added:
        for other in TABLES:
            conn.execute(
                f"delete from {staging}.{other} where (_file, _line) in "
                f"(select _file, _line from {staging}.quarantine)"
            )


def check_keys_and_references(conn: duckdb.DuckDBPyConnection, drop_id: str) -> None:
    """Within-drop duplicate keys, then references to rows that exist neither here nor in `raw`."""
    staging = staging_schema(drop_id)
    quoted_id = drop_id.replace("'", "''")
    for raw_file in RAW_FILES.values():
        table = TABLES[raw_file.tables[0]]
        rows = f"{staging}.{table.name}"
        key = ", ".join(table.key)
        # Group the keys' hashes first, then only the keys whose hash repeats: a window or a
        # group by over every full key needs far more memory (out of memory at a 40 MB limit
        # where this runs, on 1.2M stage-2 keys).
        _quarantine_where(
            conn,
            staging,
            table.name,
            key,
            f"'duplicate key ({key}), first seen at line ' || first_line",
            f"""
            select _drop_id, _file, _line, first_line from {rows}
            join (
                select {key}, min(_line) as first_line from {rows}
                where hash({key}) in (
                    select hash({key}) from {rows} group by 1 having count(*) > 1
                )
                group by all having count(*) > 1
            ) using ({key})
            where _line > first_line
            """,
        )
    for (table, column), (target, target_column) in REFERENCES.items():
        _quarantine_where(
            conn,
            staging,
            table,
            column,
            f"'references unknown {target}.{target_column}'",
            f"select _drop_id, _file, _line from {staging}.{table} "
            f"where {column} not in (select {target_column} from {staging}.{target}) "
            f"and {column} not in (select {target_column} from {RAW_SCHEMA}.{target} "
            f"where _drop_id <> '{quoted_id}')",
        )


def fill_report(conn: duckdb.DuckDBPyConnection, report: DropReport) -> None:
    """Lines landed and quarantined per file, rows per table and quarantine reasons."""
    staging = staging_schema(report.drop_id)
    quarantined = dict(
        conn.execute(
            f"select _file, count(distinct _line) from {staging}.quarantine group by 1"
        ).fetchall()
    )
    for name, file_report in report.files.items():
        file_report.rows_quarantined = quarantined.get(name, 0)
        file_report.rows_landed = file_report.rows_read - file_report.rows_quarantined
    for name in TABLES:
        report.rows_per_table[name] = conn.execute(
            f"select count(*) from {staging}.{name}"
        ).fetchone()[0]
    for file, reason, count in conn.execute(
        "select _file, table_name || '.' || field || ': ' || "
        "regexp_replace(reason, ', first seen at line [0-9]+', ''), count(*) "
        f"from {staging}.quarantine group by 1, 2"
    ).fetchall():
        report.quarantine_reasons[reason] += count
        if file in report.files:
            report.files[file].quarantine_reasons[reason] += count


def check_quarantined_shares(report: DropReport) -> None:
    """Fail the drop when a file has more of its lines quarantined than its bound allows: a
    file of another shape (one JSON array, a renamed field) would otherwise land almost empty,
    and every record pointing into it would be quarantined in turn."""
    over = []
    for file in report.files.values():
        bound = settings.max_quarantined_share(file.stem)
        if file.rows_read and file.rows_quarantined / file.rows_read > bound:
            reason, count = file.quarantine_reasons.most_common(1)[0]
            over.append(
                f"{file.file}: {file.rows_quarantined} of {file.rows_read} lines quarantined "
                f"(over the {bound:.0%} allowed), most often {reason} ({count} lines)"
            )
    if over:
        raise DropError(
            f"{report.drop_id}: too many lines quarantined, so nothing of the drop was landed: "
            + "; ".join(over)
            + ". Fix the export, or allow it with PIPELINES_MAX_QUARANTINED_SHARE "
            "(`pipelines run --max-quarantined-share`; see docs/raw-data-contract.md)."
        )
