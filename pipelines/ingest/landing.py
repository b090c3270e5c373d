"""A drop's staging schema (`_landing_<drop id>`): every line of its export files validated and
its rows, or its quarantine entry, appended there batch by batch.

The staging tables are ordinary tables, and every batch is its own transaction, so DuckDB writes
the rows to the database file as they come, where temp tables would hold the whole drop in
memory; memory stays flat however large the drop.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from pydantic import ValidationError

from pipelines.contract.tables import TABLES, RawFile, json_text, registered
from pipelines.ingest.folder import lines
from pipelines.ingest.records import describe, masked_excerpt, outside_vocabulary, over_long_text
from pipelines.ingest.reports import FileReport

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 30.0
"""How often a file still being landed gets a progress line."""
Progress = Callable[[str], None]
# A drop's staging schema is this prefix and the drop id.
STAGING_PREFIX = "_landing_"
RAW_SCHEMA = "raw"
BATCH_RECORDS = 5_000
QUARANTINE_COLUMNS = [
    "_drop_id",
    "_file",
    "_line",
    "table_name",
    "field",
    "reason",
    "record_sha256",
    "raw_record",
]


def staging_schema(drop_id: str) -> str:
    """The drop's staging schema, quoted: a drop id is a folder name, not an identifier."""
    return '"' + f"{STAGING_PREFIX}{drop_id}".replace('"', '""') + '"'


class Landing:
    """Staging tables that collect a drop's rows before they replace the drop's rows in `raw`."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, staging: str):
        self.conn = conn
        self.staging = staging
        self.buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self.quarantine: list[dict[str, Any]] = []
        self.arrow_schemas: dict[str, pa.Schema] = {}
        self.json_columns: dict[str, list[str]] = {}
        for name, table in TABLES.items():
            columns = ", ".join(
                f"{c} {t.replace(' NOT NULL', '')}" for c, t in table.columns.items()
            )
            conn.execute(
                f"create table {staging}.{name} "
                f"({columns}, _drop_id VARCHAR, _file VARCHAR, _line BIGINT)"
            )
            self.arrow_schemas[name] = (
                conn.execute(f"select * from {staging}.{name} limit 0").arrow().schema
            )
            self.json_columns[name] = [c for c, t in table.columns.items() if t == "JSON"]
        conn.execute(
            f"create table {staging}.quarantine as select * from {RAW_SCHEMA}.quarantine limit 0"
        )

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.buffers[table].append(row)

    def flush(self) -> None:
        for name, rows in self.buffers.items():
            if rows:
                for row in rows:
                    for column in self.json_columns[name]:
                        row[column] = json_text(row[column])
                self._insert(name, pa.Table.from_pylist(rows, schema=self.arrow_schemas[name]))
                rows.clear()
        if self.quarantine:
            self._insert("quarantine", pa.Table.from_pylist(self.quarantine))
            self.quarantine.clear()

    def _insert(self, name: str, batch: pa.Table) -> None:
        columns = ", ".join(batch.column_names)
        with registered(self.conn, "landing_batch", batch):
            self.conn.execute(
                f"insert into {self.staging}.{name} ({columns}) select {columns} from landing_batch"
            )


def land_file(
    landing: Landing,
    drop_id: str,
    path: Path,
    raw_file: RawFile,
    max_text_chars: int,
    progress: Progress | None = None,
) -> FileReport:
    """Validate every line of one export file into the staging tables or its quarantine;
    `progress` gets a line every PROGRESS_SECONDS while the file is read."""
    report = FileReport(file=path.name, stem=raw_file.stem)
    lineage = {"_drop_id": drop_id, "_file": path.name}
    pending = 0
    started = last_line = time.monotonic()
    for number, line in lines(path):
        report.rows_read += 1
        if progress and number % 1000 == 0 and time.monotonic() - last_line >= PROGRESS_SECONDS:
            last_line = time.monotonic()
            progress(
                f"ingesting {path.name}: {number} lines so far, "
                f"{number / (last_line - started):,.0f} lines/s"
            )
        problem: tuple[str, str] | None = None
        rows: list[tuple[str, dict[str, Any]]] = []
        try:
            text = line.rstrip(b"\r\n").decode("utf-8")
        except UnicodeDecodeError as error:
            problem = ("(record)", f"not valid UTF-8 (byte {error.start} of the line)")
        else:
            try:
                record = raw_file.model.model_validate_json(text)
            except ValidationError as error:
                problem = describe(error, text)
            else:
                rows = list(raw_file.to_rows(record))
                problem = over_long_text(rows, max_text_chars) or outside_vocabulary(rows)
        if problem:
            landing.quarantine.append(
                {
                    "_drop_id": drop_id,
                    "_file": path.name,
                    "_line": number,
                    "table_name": raw_file.tables[0],
                    "field": problem[0],
                    "reason": problem[1],
                    "record_sha256": hashlib.sha256(line).hexdigest(),
                    "raw_record": masked_excerpt(line),
                }
            )
            log.warning("%s line %d, field %s: %s", path.name, number, *problem)
        else:
            for table, row in rows:
                landing.add(table, {**row, **lineage, "_line": number})
        pending += 1
        if pending >= BATCH_RECORDS:
            landing.flush()
            pending = 0
    landing.flush()
    return report


def drop_leftover_staging(conn: duckdb.DuckDBPyConnection) -> None:
    """Drop the staging schemas killed ingests left behind, of this drop or any other: only one
    process writes the file (the "duckdb" pool), so none belongs to a live ingest, and each may
    hold most of a drop's rows."""
    leftovers = conn.execute(
        "select schema_name from duckdb_schemas() "
        "where database_name = current_database() and starts_with(schema_name, ?)",
        [STAGING_PREFIX],
    ).fetchall()
    for (name,) in leftovers:
        log.warning("dropping the staging schema %s a killed ingest left behind", name)
        conn.execute(f"drop schema {staging_schema(name.removeprefix(STAGING_PREFIX))} cascade")
