"""Marts to Parquet: explicit Arrow schemas from the table's own columns, deterministic files.

A per-user config is written per split and per shard of users (`splits.assign_shards`: a user's
shard is fixed at their first release), one or more files each. Files are written in a total row
order (`order by all`) with fixed row groups and compression, so the same rows always give the
same bytes: a shard whose rows are unchanged, by their fingerprint in the warehouse, is copied
from the previous release instead of exported, and a full export writes the same bytes. Rows
stream from DuckDB as Arrow record batches into the Parquet writer, so memory is bounded by a row
group, not by the table. The content identity of a file is computed by DuckDB from the written
file (a hash of each row's JSON, sorted), so it does not depend on the writer's version.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import settings
from pipelines.contract.warehouse import registered
from pipelines.release.configs import USER_COLUMN, WHOLE_TABLE_SPLIT, ReleaseConfig

SPLIT_RELATION = "release_split_assignment"
# The groups (split, shard) an export writes, registered for the one sorted query that writes them.
WANTED_RELATION = "release_wanted_shards"
COMPRESSION = "zstd"
# Row groups for the Hub: its dataset viewer reads one row group at a time and refuses large ones,
# and `datasets` streams by row group. A group holds up to ROW_GROUP_ROWS rows but closes early at
# about ROW_GROUP_BYTES of uncompressed Arrow data (wide rows: whole conversations).
ROW_GROUP_ROWS = 100_000
ROW_GROUP_BYTES = 64 * 2**20
# Rows per record batch read from DuckDB: the granularity of the byte limit.
READ_BATCH_ROWS = 4_096
MAX_ROWS_PER_FILE = 250_000
# Row hashes per batch streamed out of DuckDB's sort into the content digest.
HASH_BATCH_ROWS = 100_000
# DuckDB HUGEINT (e.g. a sum of integers) reaches Arrow as decimal128(38, 0); it is published as
# int64, and a value that does not fit fails the cast instead of silently changing.
_INTEGER_DUCKDB_TYPES = {"HUGEINT": pa.int64(), "UHUGEINT": pa.uint64()}


@dataclass
class SplitFiles:
    """A split's files, each a dict: path, size, sha256, shard, rows, num_bytes, rows_sha256
    (the digest of its sorted row hashes) and fingerprint (of its shard's rows in the warehouse)."""

    rows: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)
    num_bytes: int = 0

    def add(self, entry: dict[str, Any]) -> None:
        self.files.append(entry)
        self.rows += entry["rows"]
        self.num_bytes += entry["num_bytes"]

    def content_sha256(self, schema: pa.Schema) -> str:
        """Identity of the split's logical content: its schema and its files' row digests."""
        digests = ",".join(sorted(f["rows_sha256"] for f in self.files))
        return hashlib.sha256(f"{schema}\n{digests}".encode()).hexdigest()


@dataclass
class ExportedConfig:
    schema: pa.Schema
    splits: dict[str, SplitFiles]
    written: list[str]
    """Files exported by this release; the others were copied from the previous one."""

    reused: list[str]


def _publishable(arrow_type: pa.DataType, where: str) -> pa.DataType:
    """The Arrow type a column is published as: plain types `datasets` maps to features."""
    if pa.types.is_dictionary(arrow_type):
        return _publishable(arrow_type.value_type, where)
    if pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return pa.string()
    if pa.types.is_timestamp(arrow_type):
        return pa.timestamp(arrow_type.unit, tz="UTC" if arrow_type.tz else None)
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return pa.list_(_publishable(arrow_type.value_type, f"{where}[]"))
    if pa.types.is_struct(arrow_type):
        return pa.struct(
            [pa.field(f.name, _publishable(f.type, f"{where}.{f.name}")) for f in arrow_type.fields]
        )
    if pa.types.is_map(arrow_type) or pa.types.is_union(arrow_type):
        raise TypeError(
            f"column {where} has type {arrow_type}, which `datasets` cannot load: cast it to a "
            "list of structs in the mart"
        )
    return arrow_type


def arrow_schema(conn: duckdb.DuckDBPyConnection, table: str) -> pa.Schema:
    """The schema a mart is published with, derived from its current DuckDB columns."""
    duckdb_types = {
        name: kind
        for name, kind, *_ in conn.execute(f'describe select * from main."{table}"').fetchall()
    }
    fields = []
    for column in conn.execute(f'select * from main."{table}" limit 0').to_arrow_table().schema:
        kind = _INTEGER_DUCKDB_TYPES.get(str(duckdb_types[column.name]).upper())
        fields.append(
            pa.field(column.name, kind or _publishable(column.type, f"{table}.{column.name}"))
        )
    return pa.schema(fields)


def _group_query(config: ReleaseConfig, select: str, where: str = "") -> str:
    """The mart's rows with the group (split and shard) each belongs to: a per-user mart's by its
    user's split and shard, a whole-table mart's all in one group, `WHOLE_TABLE_SPLIT` shard 0."""
    if not config.per_user:
        return (
            f'select {select} from main."{config.table}" t, '
            f"(select 0 as grp, '{WHOLE_TABLE_SPLIT}' as split, 0 as shard) g {where}"
        )
    return (
        f'select {select} from main."{config.table}" t '
        f'join {SPLIT_RELATION} g on g.user_id = t."{USER_COLUMN}" {where}'
    )


def shard_fingerprints(
    conn: duckdb.DuckDBPyConnection, config: ReleaseConfig, schema: pa.Schema
) -> dict[tuple[str, int], tuple[int, str]]:
    """(split, shard) -> (rows, fingerprint of those rows in the warehouse and of the schema):
    what decides, without writing a file, whether a shard's published files are still current."""
    query = _group_query(
        config,
        "g.split, g.shard, count(*), sum(hash(t))::varchar, bit_xor(hash(t))",
    )
    result = {}
    for split, shard, rows, total, xor in conn.execute(f"{query} group by all").fetchall():
        digest = hashlib.sha256(f"{schema}\n{rows}\n{total}\n{xor}".encode()).hexdigest()
        result[(split, shard)] = (rows, digest)
    return result


def file_name(split: str, shard: int, part: int, parts: int) -> str:
    return f"{split}-{shard:05d}-{part:05d}-of-{parts:05d}.parquet"


def export_config(
    conn: duckdb.DuckDBPyConnection,
    config: ReleaseConfig,
    splits: list[str],
    out_dir: Path,
    *,
    previous_dir: Path | None = None,
    previous_files: list[dict[str, Any]] | None = None,
    max_rows_per_file: int = MAX_ROWS_PER_FILE,
) -> ExportedConfig:
    """Write data/<config>/<split>-<shard>-NNNNN-of-NNNNN.parquet for each split and shard.

    A shard whose rows have the fingerprint of a previous file entry (in `previous_files`, the
    previous release's entries of this config, whose files are in `previous_dir`) is copied from
    there, byte for byte; the others are exported, streamed in one sorted query. The same rows
    give the same bytes either way, so a full export and an incremental one publish the same
    files."""
    schema = arrow_schema(conn, config.table)
    if config.per_user:
        if USER_COLUMN not in schema.names:
            raise ValueError(
                f"main.{config.table} has no {USER_COLUMN} column, but config {config.name} is "
                "split by user"
            )
        (missing,) = conn.execute(
            f'select count(*) from main."{config.table}" where "{USER_COLUMN}" is null'
        ).fetchone()
        if missing:
            raise ValueError(
                f"main.{config.table}: {missing} rows have no {USER_COLUMN}; every row of a "
                "per-user config needs one to be assigned a split"
            )
    target = out_dir / config.data_dir
    target.mkdir(parents=True, exist_ok=True)
    groups = shard_fingerprints(conn, config, schema)
    for split in splits if config.per_user else [WHOLE_TABLE_SPLIT]:
        # A split without rows still gets its (empty) file, with its columns.
        if not any(key[0] == split for key in groups):
            groups[(split, 0)] = (0, hashlib.sha256(f"{schema}\n0".encode()).hexdigest())
    earlier: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for entry in previous_files or []:
        if "shard" in entry and previous_dir is not None:
            earlier.setdefault((entry["split"], entry["shard"]), []).append(entry)
    reuse = {
        key: entries
        for key, entries in earlier.items()
        if key in groups
        and all(e["fingerprint"] == groups[key][1] for e in entries)
        and all((previous_dir / e["path"]).is_file() for e in entries)
    }
    for entries in reuse.values():
        for entry in entries:
            shutil.copyfile(previous_dir / entry["path"], out_dir / entry["path"])
    exported = _export_groups(
        conn,
        config,
        schema,
        {key: value for key, value in groups.items() if key not in reuse},
        out_dir,
        max_rows_per_file,
    )
    by_group = {**{k: [dict(e) for e in v] for k, v in reuse.items()}, **exported}
    result = {split: SplitFiles() for split in (splits if config.per_user else [WHOLE_TABLE_SPLIT])}
    for split, shard in sorted(by_group):
        for entry in by_group[(split, shard)]:
            result[split].add(entry)
    written = [e["path"] for entries in exported.values() for e in entries]
    reused = [e["path"] for entries in reuse.values() for e in entries]
    return ExportedConfig(schema, result, written, reused)


def _export_groups(
    conn: duckdb.DuckDBPyConnection,
    config: ReleaseConfig,
    schema: pa.Schema,
    groups: dict[tuple[str, int], tuple[int, str]],
    out_dir: Path,
    max_rows_per_file: int,
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Export the given groups in one query sorted by group, then by every column (each file's
    rows in a total order), and cut the stream into each group's files."""
    if not groups:
        return {}
    order = sorted(groups)
    ids = {key: index for index, key in enumerate(order)}
    wanted = pa.table(
        {
            "split": [s for s, _ in order],
            "shard": pa.array([n for _, n in order], pa.int64()),
            "wanted": pa.array(range(len(order)), pa.int64()),
        }
    )
    with registered(conn, WANTED_RELATION, wanted):
        query = _group_query(
            config,
            "w.wanted, t.*",
            f"join {WANTED_RELATION} w on w.split = g.split and w.shard = g.shard",
        )
        reader = conn.execute(f"{query} order by all").to_arrow_reader(READ_BATCH_ROWS)
        stream = _GroupStream(reader)
        exported = {}
        # The written files' rows are hashed on a cursor of the same database, which is cheap to
        # open: a connection of their own would start a database per file.
        with conn.cursor() as hashing:
            for key in order:
                rows, fingerprint = groups[key]
                exported[key] = _write_group(
                    stream.rows_of(ids[key], rows),
                    schema,
                    out_dir,
                    config,
                    key,
                    rows,
                    fingerprint,
                    max_rows_per_file,
                    hashing,
                )
    return exported


def _write_group(
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    out_dir: Path,
    config: ReleaseConfig,
    key: tuple[str, int],
    rows: int,
    fingerprint: str,
    max_rows_per_file: int,
    hashing: duckdb.DuckDBPyConnection,
) -> list[dict[str, Any]]:
    split, shard = key
    parts = max(1, math.ceil(rows / max_rows_per_file))
    groups = _RowGroups(_rebatched(batches, READ_BATCH_ROWS), schema)
    entries = []
    for part in range(parts):
        path = out_dir / config.data_dir / file_name(split, shard, part, parts)
        written = 0
        with pq.ParquetWriter(
            path, schema, compression=COMPRESSION, write_statistics=True, write_page_index=True
        ) as writer:
            for group in groups.take(max_rows_per_file):
                writer.write_table(group, row_group_size=group.num_rows)
                written += group.num_rows
        with path.open("rb") as file:
            sha256 = hashlib.file_digest(file, "sha256").hexdigest()
        entries.append(
            {
                "path": path.relative_to(out_dir).as_posix(),
                "size": path.stat().st_size,
                "sha256": sha256,
                "split": split,
                "shard": shard,
                "rows": written,
                "num_bytes": _uncompressed_bytes(path),
                "rows_sha256": rows_sha256(hashing, [path]),
                "fingerprint": fingerprint,
            }
        )
    return entries


class _GroupStream:
    """The export query's batches, sorted by group id (first column), handed out group by group
    without that column."""

    def __init__(self, reader: pa.RecordBatchReader):
        self._batches = iter(reader)
        self._pending: pa.RecordBatch | None = None

    def rows_of(self, group: int, rows: int) -> Iterator[pa.RecordBatch]:
        left = rows
        while left > 0:
            batch, self._pending = self._pending, None
            if batch is None:
                batch = next(self._batches, None)
                if batch is None:
                    raise RuntimeError(f"the export ended {left} rows short of a group")
            ids = batch.column(0).to_numpy()
            if ids[0] != group:
                raise RuntimeError("the export's rows left their group's order")
            end = int(np.searchsorted(ids, group, side="right"))
            if end < batch.num_rows:
                self._pending = batch.slice(end)
            taken = batch.slice(0, end).drop_columns([batch.schema.names[0]])
            left -= taken.num_rows
            yield taken


def _rebatched(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """The same rows in batches of exactly `size` rows (the last one shorter), counted from the
    group's first row: where DuckDB cut its batches does not reach the row groups."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        pending.append(batch)
        count += batch.num_rows
        while count >= size:
            table = pa.Table.from_batches(pending).combine_chunks()
            yield table.slice(0, size).to_batches()[0]
            rest = table.slice(size)
            pending = rest.to_batches() if rest.num_rows else []
            count = rest.num_rows
    if count:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]


class _RowGroups:
    """Regroups a record batch stream into row groups cast to `schema`: ROW_GROUP_ROWS rows at
    most, and no further batch once ROW_GROUP_BYTES are reached. The same rows in the same order
    give the same groups."""

    def __init__(self, reader: pa.RecordBatchReader, schema: pa.Schema):
        self._batches = iter(reader)
        self._schema = schema
        self._carry: pa.RecordBatch | None = None

    def _next(self) -> pa.RecordBatch | None:
        batch, self._carry = self._carry, None
        return batch if batch is not None else next(self._batches, None)

    def take(self, limit: int) -> Iterator[pa.Table]:
        """Yield row groups until `limit` rows are out (a file's share) or the stream ends."""
        while limit > 0:
            cap = min(ROW_GROUP_ROWS, limit)
            batches, rows, size = [], 0, 0
            while rows < cap and size < ROW_GROUP_BYTES and (batch := self._next()) is not None:
                if rows + batch.num_rows > cap:
                    batch, self._carry = batch.slice(0, cap - rows), batch.slice(cap - rows)
                batches.append(batch)
                rows += batch.num_rows
                size += batch.nbytes
            if not rows:
                return
            limit -= rows
            yield pa.Table.from_batches(batches).cast(self._schema)


def _uncompressed_bytes(path: Path) -> int:
    """Uncompressed size of the columns: close to what `datasets` reports as a split's bytes."""
    metadata = pq.read_metadata(path)
    return sum(
        metadata.row_group(i).column(j).total_uncompressed_size
        for i in range(metadata.num_row_groups)
        for j in range(metadata.num_columns)
    )


def row_hash_query(files: list[Path]) -> str:
    paths = ", ".join(f"'{p.as_posix()}'" for p in files)
    return f"select md5(to_json(t)::varchar) as h from read_parquet([{paths}]) t"


def rows_sha256(conn: duckdb.DuckDBPyConnection, files: list[Path]) -> str:
    """Identity of the rows of `files`: the sha256 of their sorted row hashes, comma-joined.

    Computed as the hashes stream from DuckDB's sort (which spills), not joined in SQL: a large
    split's joined string would not fit the memory cap. The digest is the same as that of the
    joined string; no rows give the empty string.
    """
    joined = hashlib.sha256()
    separator = b""
    batches = conn.execute(f"select h from ({row_hash_query(files)}) order by h").to_arrow_reader(
        HASH_BATCH_ROWS
    )
    for batch in batches:
        if batch.num_rows:
            joined.update(separator + ",".join(batch.column(0).to_pylist()).encode())
            separator = b","
    return joined.hexdigest() if separator else ""


def _hashes(files: list[Path]) -> str:
    if not files:
        return "select null::varchar as h where false"
    return row_hash_query(files)


def rows_added_removed(new_files: list[Path], old_files: list[Path]) -> tuple[int, int]:
    """Rows in the new files and not the old ones, and the reverse (a changed row is in both)."""
    with duckdb.connect(config=settings.duckdb_config()) as conn:
        added, removed = conn.execute(
            f"""
            with new as (select h, count(*) as n from ({_hashes(new_files)}) group by h),
                 old as (select h, count(*) as n from ({_hashes(old_files)}) group by h)
            select
                coalesce(sum(greatest(coalesce(new.n, 0) - coalesce(old.n, 0), 0)), 0),
                coalesce(sum(greatest(coalesce(old.n, 0) - coalesce(new.n, 0), 0)), 0)
            from new full outer join old using (h)
            """
        ).fetchone()
    return int(added), int(removed)
