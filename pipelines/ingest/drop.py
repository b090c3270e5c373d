"""Land one raw drop folder in the DuckDB schema `raw`: every good record lands, every bad one is
quarantined with its file, line, field and reason, and nothing is half-written if a step fails.

A drop is a folder of `<stem>.jsonl` (or `.jsonl.gz`) files, one per export of the contract
(`pipelines.contract.tables.RAW_FILES`), and an optional `manifest.json`. Its id is the folder name.
It holds plain files only: a symbolic link, a pipe or a device fails the drop before anything is
read. A quarantined line is kept as its hash, its position and a masked excerpt, never its text; a
free text longer than `settings.max_text_chars()` is quarantined, so the scrubber never receives
it; and a file with more of its lines quarantined than `settings.max_quarantined_share()` fails
the drop before `raw` is touched.
Records are validated line by line and committed in batches to the tables of a staging schema of
the drop (`_landing_<drop id>`), so DuckDB keeps them in the file, not in memory, and memory stays
flat however large the drop. The checks run there; then one short transaction replaces the drop's
rows in `raw` from staging, so a failure at any step leaves `raw` as it was. Re-ingesting a drop
replaces that drop's rows, and a record whose key another drop delivered replaces that row unless
that drop was delivered later (`raw.drops`: the manifest's `created_at`, else the first ingest),
whatever the order of ingest: nothing is added twice, and the raw tables need no primary-key
index. A label or name published as it is (a vocabulary column) is held to its vocabulary.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import logging
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import duckdb
import pyarrow as pa
from pydantic import ValidationError

from pipelines import settings
from pipelines.adapters import adapter_quarantine_rows
from pipelines.adapters.writer import QUARANTINE_FILE, REPORT_FILE
from pipelines.contract.models import ContractModel, DropManifest
from pipelines.contract.tables import (
    INGESTED_FILES_DDL,
    LLM_JUDGE_ID,
    QUARANTINE_DDL,
    RAW_FILES,
    REFERENCES,
    TABLES,
    RawFile,
    Vocabulary,
    as_utc,
    create_drops_table,
    later_deliveries,
    registered,
    transaction,
)
from pipelines.privacy.audit import identifiers_in

log = logging.getLogger(__name__)
# A drop's staging schema is this prefix and the drop id.
STAGING_PREFIX = "_landing_"

BATCH_RECORDS = 5_000
RAW_SCHEMA = "raw"
# The contract's drop id: the folder name, also a Dagster partition key and part of a schema name.
DROP_ID = re.compile(r"[A-Za-z0-9_.-]+")
# Characters of a quarantined line kept in `raw_record`, letters and digits masked.
EXCERPT_CHARS = 80
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
# Every field name of the contract. Any other name in an error's location is one of the record's
# own keys (an unknown field, a header name), which may be personal data: it is named by position.
_FIELD_NAMES = frozenset(
    name for model in ContractModel.__subclasses__() for name in model.model_fields
)
# A row of a nested table is an item of the record's list of that name, at this key column.
_NESTED_INDEX = {
    name: next(column for column in table.key if column != table.part_of[1])
    for name, table in TABLES.items()
    if table.part_of
}
_QUARANTINE_COLUMNS = [
    "_drop_id",
    "_file",
    "_line",
    "table_name",
    "field",
    "reason",
    "record_sha256",
    "raw_record",
]


class DropError(Exception):
    """A drop (or one of its files) cannot be read at all; the message names the file."""


@dataclass
class FileReport:
    file: str
    stem: str
    rows_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    quarantine_reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class DropReport:
    drop_id: str
    files: dict[str, FileReport] = field(default_factory=dict)
    rows_per_table: dict[str, int] = field(default_factory=dict)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    ignored_files: list[str] = field(default_factory=list)
    delivered_at: datetime | None = None
    """The manifest's `created_at`, else when the drop was first ingested (`raw.drops`)."""
    rows_left_to_later_drops: dict[str, int] = field(default_factory=dict)
    """Per table, the drop's rows whose key a drop delivered later holds: that row stays."""
    adapter_quarantined: int = 0
    """Source records an adapter could not turn into the contract (`adapter_quarantine.jsonl`)."""

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files.values())

    @property
    def rows_landed(self) -> int:
        return sum(f.rows_landed for f in self.files.values())


def create_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"create schema if not exists {RAW_SCHEMA}")
    for table in TABLES.values():
        conn.execute(table.ddl(RAW_SCHEMA))
    conn.execute(QUARANTINE_DDL)
    conn.execute(INGESTED_FILES_DDL)
    create_drops_table(conn)


def check_drop_folder(folder: Path) -> None:
    """Refuse a drop whose name is not a drop id, or that holds anything but plain files and
    folders, before anything in it is read: a symbolic link would be read as if the drop held its
    target (/proc/self/environ, /etc/passwd), and a pipe or a device would block the read."""
    if not DROP_ID.fullmatch(folder.name) or not folder.name.strip("."):
        raise DropError(
            f"{folder}: a drop folder's name is the drop id: letters, digits, '_', '.' and '-' "
            "only, and not only dots"
        )
    if not folder.is_dir():
        raise DropError(f"{folder}: not a drop folder")
    for path in sorted(folder.iterdir()):
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            raise DropError(f"{path}: a symbolic link; a drop holds files, not links")
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise DropError(f"{path}: not a regular file (a pipe, socket or device)")


def find_export_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The contract's export files in a drop folder, and the names of any other files."""
    exports: dict[str, Path] = {}
    ignored: list[str] = []
    for path in sorted(folder.iterdir()):
        stem = path.name.removesuffix(".gz").removesuffix(".jsonl")
        if path.name in {"manifest.json", QUARANTINE_FILE, REPORT_FILE}:
            continue
        if path.is_file() and path.name.endswith((".jsonl", ".jsonl.gz")) and stem in RAW_FILES:
            if stem in exports:
                raise DropError(f"{path}: the drop has both {exports[stem].name} and {path.name}")
            exports[stem] = path
        else:
            ignored.append(path.name)
    return exports, ignored


def read_manifest(folder: Path) -> DropManifest | None:
    path = folder / "manifest.json"
    if not path.exists():
        return None
    try:
        manifest = DropManifest.model_validate_json(path.read_bytes())
    except ValidationError as error:
        reason = _describe(error, path.read_bytes())[1]
        raise DropError(f"{path}: not a valid drop manifest: {reason}") from None
    if manifest.drop_id != folder.name:
        raise DropError(
            f"{path}: drop_id {manifest.drop_id!r} differs from the folder name {folder.name!r}"
        )
    return manifest


def _open(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of each non-blank line, without a leading byte order mark; an
    unreadable file raises DropError."""
    try:
        with _open(path) as handle:
            for number, line in enumerate(handle, start=1):
                if number == 1:
                    line = line.removeprefix(codecs.BOM_UTF8)
                if line.strip():
                    yield number, line
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DropError(f"{path}: cannot be read ({type(error).__name__}: {error})") from None


def _describe(error: ValidationError, document: str | bytes) -> tuple[str, str]:
    """(field, reason) of a validation error of `document`, without echoing the input or a key of
    the record that is not a contract field (either may be personal)."""
    first = error.errors(include_url=False, include_input=False)[0]
    location = _location(first["loc"], document) or "(record)"
    reason = first["msg"]
    if first["type"] == "extra_forbidden":
        reason = "not a field of the contract (its name is not repeated)"
    if first["type"] == "json_invalid":
        location, reason = "(record)", f"invalid JSON: {first['ctx'].get('error', reason)}"
    more = error.error_count() - 1
    return location, reason + (f" (and {more} more error{'s' * (more > 1)})" if more else "")


def _location(loc: tuple[int | str, ...], document: str | bytes) -> str:
    """An error's location in a record, with each key that is not a contract field named by its
    position in its object (`turns.0.<key 3>`), never by its text."""
    if all(isinstance(part, int) or part in _FIELD_NAMES for part in loc):
        return ".".join(str(part) for part in loc)
    try:
        node: Any = json.loads(document)
    except (ValueError, RecursionError):
        node = None
    parts = []
    for part in loc:
        if isinstance(part, str) and part not in _FIELD_NAMES:
            keys = list(node) if isinstance(node, dict) else []
            parts.append(f"<key {keys.index(part) + 1}>" if part in keys else "<key>")
        else:
            parts.append(str(part))
        inside = isinstance(node, dict) and part in node
        inside = inside or (isinstance(node, list) and isinstance(part, int) and part < len(node))
        node = node[part] if inside else None
    return ".".join(parts)


def _masked_excerpt(line: bytes) -> str:
    """The start of a line with every letter as x and every digit as 0: its shape (an array where
    an object belongs, a line cut short) without a single value."""
    whole = line.rstrip(b"\r\n")
    text = whole[: EXCERPT_CHARS * 4].decode("utf-8", "replace")
    excerpt = _DIGIT.sub("0", _LETTER.sub("x", text[:EXCERPT_CHARS]))
    cut = len(text) > EXCERPT_CHARS or len(whole) > EXCERPT_CHARS * 4
    return excerpt + ("..." if cut else "")


def _field_prefix(table_name: str, row: dict[str, Any]) -> str:
    """How a field of a nested row is named in its record: `turns.3.` for a turn."""
    return f"{table_name}.{row[_NESTED_INDEX[table_name]]}." if TABLES[table_name].part_of else ""


def _over_long_text(rows: list[tuple[str, dict[str, Any]]], limit: int) -> tuple[str, str] | None:
    """(field, reason) of the first free text of a record's rows longer than `limit` characters."""
    for table_name, row in rows:
        table = TABLES[table_name]
        prefix = _field_prefix(table_name, row)
        for column in table.text_columns:
            value = row[column]
            for position, text in enumerate(value if isinstance(value, list) else [value]):
                if text is not None and len(text) > limit:
                    where = f".{position}" if isinstance(value, list) else ""
                    return (
                        f"{prefix}{column}{where}",
                        f"text of {len(text)} characters, over the limit of {limit} "
                        "(PIPELINES_MAX_TEXT_CHARS)",
                    )
    return None


def _outside_vocabulary(rows: list[tuple[str, dict[str, Any]]]) -> tuple[str, str] | None:
    """(field, reason) of the first value of a record's rows outside its column's vocabulary, or
    holding an identifier the residual-leak detector finds: such values are published as they
    are, neither scrubbed nor hashed. An LLM judge's id, which stays readable, counts as one."""
    for table_name, row in rows:
        columns: dict[str, Vocabulary] = TABLES[table_name].vocabulary_columns
        if table_name == "annotators" and row["kind"] == "llm":
            columns = {**columns, "annotator_id": LLM_JUDGE_ID}
        for column, vocabulary in columns.items():
            value = row[column]
            if value is None:
                continue
            field_name = f"{_field_prefix(table_name, row)}{column}"
            if not vocabulary.admits(value):
                return field_name, f"not a value of its vocabulary: {vocabulary.description}"
            if vocabulary.values:  # one of the contract's own labels
                continue
            found = identifiers_in(value)
            if found:
                return (
                    field_name,
                    f"holds an identifier ({found[0]}) where a vocabulary value belongs",
                )
    return None


def _staging(drop_id: str) -> str:
    """The drop's staging schema, quoted: a drop id is a folder name, not an identifier."""
    return '"' + f"{STAGING_PREFIX}{drop_id}".replace('"', '""') + '"'


class _Landing:
    """Staging tables that collect a drop's rows before they replace the drop's rows in `raw`.

    They are ordinary tables, and every batch is its own transaction, so DuckDB writes the rows to
    the database file as they come, where temp tables would hold the whole drop in memory.
    """

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
                _jsonify(rows, self.json_columns[name])
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


def _jsonify(rows: list[dict[str, Any]], json_columns: list[str]) -> None:
    """JSON columns travel as text; DuckDB's JSON type is text underneath."""
    for row in rows:
        for name in json_columns:
            if isinstance(row[name], dict | list):
                row[name] = json.dumps(row[name], ensure_ascii=False, sort_keys=True)


def _land_file(
    landing: _Landing, drop_id: str, path: Path, raw_file: RawFile, max_text_chars: int
) -> FileReport:
    report = FileReport(file=path.name, stem=raw_file.stem)
    lineage = {"_drop_id": drop_id, "_file": path.name}
    pending = 0
    for number, line in _lines(path):
        report.rows_read += 1
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
                problem = _describe(error, text)
            else:
                rows = list(raw_file.to_rows(record))
                problem = _over_long_text(rows, max_text_chars) or _outside_vocabulary(rows)
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
                    "raw_record": _masked_excerpt(line),
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
        insert into {staging}.quarantine ({", ".join(_QUARANTINE_COLUMNS)})
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


def _check_keys_and_references(conn: duckdb.DuckDBPyConnection, drop_id: str) -> None:
    """Within-drop duplicate keys, then references to rows that exist neither here nor in `raw`."""
    staging = _staging(drop_id)
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


def land_drop(conn: duckdb.DuckDBPyConnection, folder: Path) -> DropReport:
    """Validate and land one drop folder, atomically replacing any earlier landing of it."""
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
    staging = _staging(drop_id)
    _drop_leftover_staging(conn)
    conn.execute(f"create schema {staging}")
    try:
        landing = _Landing(conn, staging)
        hashes = {}
        max_text_chars = settings.max_text_chars()
        for stem, path in exports.items():
            log.info("ingesting %s", path)
            report.files[path.name] = _land_file(
                landing, drop_id, path, RAW_FILES[stem], max_text_chars
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


def _drop_leftover_staging(conn: duckdb.DuckDBPyConnection) -> None:
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
        conn.execute(f"drop schema {_staging(name.removeprefix(STAGING_PREFIX))} cascade")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
    staging = _staging(drop_id)
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


def _fill_report(conn: duckdb.DuckDBPyConnection, report: DropReport) -> None:
    staging = _staging(report.drop_id)
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


def _check_quarantined_shares(report: DropReport) -> None:
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
