"""Marts to Parquet: explicit Arrow schemas from the table's own columns, deterministic files.

Files are written in a total row order (`order by all`) with fixed row groups and compression, so
the same rows always give the same bytes and an unchanged config shows no diff in the dataset
repo. Rows stream from DuckDB as Arrow record batches into the Parquet writer, so memory is bounded
by a row group, not by the table. The content identity of a split is computed by DuckDB from the
written files (a hash of each row's JSON, sorted), so it does not depend on the writer's version.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import settings
from pipelines.release.configs import USER_COLUMN, WHOLE_TABLE_SPLIT, ReleaseConfig

SPLIT_RELATION = "release_split_assignment"
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
    rows: int
    files: list[str] = field(default_factory=list)
    num_bytes: int = 0


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


def split_query(config: ReleaseConfig, split: str) -> tuple[str, list[str]]:
    base = f'select * from main."{config.table}"'
    if not config.per_user:
        return f"{base} order by all", []
    return (
        f'{base} where "{USER_COLUMN}" in '
        f"(select user_id from {SPLIT_RELATION} where split = ?) order by all",
        [split],
    )


def export_config(
    conn: duckdb.DuckDBPyConnection,
    config: ReleaseConfig,
    splits: list[str],
    out_dir: Path,
    *,
    max_rows_per_file: int = MAX_ROWS_PER_FILE,
) -> tuple[pa.Schema, dict[str, SplitFiles]]:
    """Write data/<config>/<split>-NNNNN-of-NNNNN.parquet for each split; streamed."""
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
    written = {}
    for split in splits if config.per_user else [WHOLE_TABLE_SPLIT]:
        query, params = split_query(config, split)
        (rows,) = conn.execute(f"select count(*) from ({query})", params).fetchone()
        n_files = max(1, math.ceil(rows / max_rows_per_file))
        reader = conn.execute(query, params).to_arrow_reader(READ_BATCH_ROWS)
        result = SplitFiles(rows=rows)
        groups = _RowGroups(reader, schema)
        for index in range(n_files):
            path = target / f"{split}-{index:05d}-of-{n_files:05d}.parquet"
            with pq.ParquetWriter(
                path,
                schema,
                compression=COMPRESSION,
                write_statistics=True,
                write_page_index=True,
            ) as writer:
                for group in groups.take(max_rows_per_file):
                    writer.write_table(group, row_group_size=group.num_rows)
            result.files.append(path.relative_to(out_dir).as_posix())
            result.num_bytes += _uncompressed_bytes(path)
        written[split] = result
    return schema, written


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


def content_sha256(files: list[Path], schema: pa.Schema) -> str:
    """Identity of a split's logical content: its schema and the sorted hashes of its rows.

    The sha256 of the comma-joined sorted row hashes, computed as they stream from DuckDB's sort
    (which spills): joined in SQL (`string_agg`), one split's string was too large for the memory
    cap at 500k conversations. The digest is the same as that of the joined string.
    """
    joined = hashlib.sha256()
    separator = b""
    with duckdb.connect(config=settings.duckdb_config()) as conn:
        batches = conn.execute(
            f"select h from ({row_hash_query(files)}) order by h"
        ).to_arrow_reader(HASH_BATCH_ROWS)
        for batch in batches:
            if batch.num_rows:
                joined.update(separator + ",".join(batch.column(0).to_pylist()).encode())
                separator = b","
    digest = joined.hexdigest() if separator else ""
    return hashlib.sha256(f"{schema}\n{digest}".encode()).hexdigest()


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
