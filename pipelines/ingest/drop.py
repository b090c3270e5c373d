"""Land one raw drop folder in the DuckDB schema `raw`: every good record lands, every bad one is
quarantined with its file, line, field and reason, and nothing is half-written if a step fails.

A drop is a folder of `<stem>.jsonl` (or `.jsonl.gz`) files, one per export of the contract
(`pipelines.contract.tables.RAW_FILES`), and an optional `manifest.json`. Its id is the folder name.
It holds plain files only (`folder`). A quarantined line is kept as its hash, its position and a
masked excerpt, never its text; a free text longer than `settings.max_text_chars()` is
quarantined, so the scrubber never receives it (`records`); and a file with more of its lines
quarantined than `settings.max_quarantined_share()` fails the drop before `raw` is touched
(`checks`).
Records are validated line by line and committed in batches to the tables of a staging schema of
the drop (`landing`), so memory stays flat however large the drop. The checks run there; then one
short transaction replaces the drop's rows in `raw` from staging, so a failure at any step leaves
`raw` as it was. Re-ingesting a drop replaces that drop's rows, and a record whose key another
drop delivered replaces that row unless that drop was delivered later (`raw.drops`: the
manifest's `created_at`, else the first ingest), whatever the order of ingest: nothing is added
twice, and the raw tables need no primary-key index. A label or name published as it is (a
vocabulary column) is held to its vocabulary.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.adapters import adapter_quarantine_rows
from pipelines.contract.models import DropManifest
from pipelines.contract.tables import (
    INGESTED_FILES_DDL,
    QUARANTINE_DDL,
    RAW_FILES,
    TABLES,
    as_utc,
    create_drops_table,
    later_deliveries,
    transaction,
)
from pipelines.ingest.checks import check_keys_and_references as _check_keys_and_references
from pipelines.ingest.checks import check_quarantined_shares as _check_quarantined_shares
from pipelines.ingest.checks import fill_report as _fill_report
from pipelines.ingest.folder import (
    DROP_ID,
    DropError,
    check_drop_folder,
    find_export_files,
    read_manifest,
)
from pipelines.ingest.folder import sha256 as _sha256
from pipelines.ingest.landing import (
    BATCH_RECORDS,
    RAW_SCHEMA,
    STAGING_PREFIX,
    Landing,
    Progress,
    drop_leftover_staging,
    staging_schema,
)
from pipelines.ingest.landing import land_file as _land_file
from pipelines.ingest.reports import DropReport, FileReport

log = logging.getLogger(__name__)
__all__ = [
    "DROP_ID",
    "STAGING_PREFIX",
    "DropError",
    "DropReport",
    "FileReport",
    "check_drop_folder",
    "create_raw_schema",
    "find_export_files",
    "land_drop",
]


def create_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """The raw schema's tables; a column the contract added since a table was made is added."""
    conn.execute(f"create schema if not exists {RAW_SCHEMA}")
    for table in TABLES.values():
        table.ensure(conn, RAW_SCHEMA)
    conn.execute(QUARANTINE_DDL)
    conn.execute(INGESTED_FILES_DDL)
    create_drops_table(conn)


def land_drop(
    conn: duckdb.DuckDBPyConnection, folder: Path, progress: Progress | None = None
) -> DropReport:
    """Validate and land one drop folder, atomically replacing any earlier landing of it.

    `progress` gets a line per export file landed (lines, seconds, lines per second, files done)
    and one every `landing.PROGRESS_SECONDS` while a long file is read."""
    folder = Path(folder)
    check_drop_folder(folder)
    manifest = read_manifest(folder)
    exports, ignored = find_export_files(folder)
    if not exports:
        raise DropError(
            f"{folder}: no export files found (expected any of "
            f"{', '.join(s + '.jsonl' for s in RAW_FILES)})"
        )
    drop_id = folder.name
    report = DropReport(drop_id=drop_id, ignored_files=ignored)
    create_raw_schema(conn)
    staging = staging_schema(drop_id)
    drop_leftover_staging(conn)
    conn.execute(f"create schema {staging}")
    try:
        landing = Landing(conn, staging)
        hashes = {}
        max_text_chars = settings.max_text_chars()
        for done, (stem, path) in enumerate(exports.items(), start=1):
            log.info("ingesting %s", path)
            started = time.monotonic()
            report.files[path.name] = _land_file(
                landing, drop_id, path, RAW_FILES[stem], max_text_chars, progress
            )
            if progress:
                seconds = time.monotonic() - started
                rows = report.files[path.name].rows_read
                progress(
                    f"ingested {path.name}: {rows} lines in {seconds:.1f} s"
                    + (f", {rows / seconds:,.0f} lines/s" if seconds >= 0.1 else "")
                    + f"; {done} of {len(exports)} files done"
                )
            hashes[path.name] = _sha256(path)
        for row in adapter_quarantine_rows(folder):
            landing.quarantine.append(row)
            if len(landing.quarantine) >= BATCH_RECORDS:
                landing.flush()
        landing.flush()
        _check_keys_and_references(conn, drop_id)
        _fill_report(conn, report)
        _check_quarantined_shares(report)
        now = datetime.now(UTC)
        with transaction(conn):
            report.delivered_at = _record_delivery(conn, drop_id, manifest, now)
            report.rows_left_to_later_drops = _replace_drop(conn, drop_id)
            conn.executemany(
                f"insert into {RAW_SCHEMA}.ingested_files values (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        drop_id,
                        f.file,
                        hashes[f.file],
                        f.rows_read,
                        f.rows_landed,
                        f.rows_quarantined,
                        now,
                    )
                    for f in report.files.values()
                ],
            )
    finally:
        conn.execute(f"drop schema if exists {staging} cascade")
    return report


def _record_delivery(
    conn: duckdb.DuckDBPyConnection, drop_id: str, manifest: DropManifest | None, now: datetime
) -> datetime:
    """The drop's delivery time in `raw.drops`: its manifest's `created_at` (UTC when it has no
    zone), else the time it was first ingested, kept when it is ingested again."""
    if manifest is not None:
        delivered_at, source = as_utc(manifest.created_at), "manifest"
    else:
        known = conn.execute(
            f"select delivered_at from {RAW_SCHEMA}.drops where _drop_id = ?", [drop_id]
        ).fetchone()
        delivered_at, source = known[0] if known else now, "first ingest"
    conn.execute(f"delete from {RAW_SCHEMA}.drops where _drop_id = ?", [drop_id])
    conn.execute(
        f"insert into {RAW_SCHEMA}.drops values (?, ?, ?)", [drop_id, delivered_at, source]
    )
    return delivered_at


def _replace_drop(conn: duckdb.DuckDBPyConnection, drop_id: str) -> dict[str, int]:
    """Replace the drop's rows in `raw`, and any other drop's rows whose key the drop delivers,
    unless a drop delivered later holds that key; per table, the rows left out for that reason."""
    staging = staging_schema(drop_id)
    later = later_deliveries(conn, drop_id)
    left_out = {
        table.name: table.replace_drop(conn, RAW_SCHEMA, staging, drop_id, later)
        for table in TABLES.values()
    }
    if later:
        log.info(
            "%s: delivered before %s, whose rows of the same keys stay: %s",
            drop_id,
            ", ".join(later),
            {name: n for name, n in left_out.items() if n},
        )
    conn.execute(f"delete from {RAW_SCHEMA}.quarantine where _drop_id = ?", [drop_id])
    conn.execute(f"delete from {RAW_SCHEMA}.ingested_files where _drop_id = ?", [drop_id])
    conn.execute(f"insert into {RAW_SCHEMA}.quarantine select * from {staging}.quarantine")
    return left_out
