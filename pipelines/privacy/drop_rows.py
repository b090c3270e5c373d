"""A drop's rows as the scrub reads them: streamed from DuckDB in Arrow batches, sorted by key, each
row with its pseudonym scope, language and source, timestamps truncated to the precision kept.

A text belongs to the user it is about when the row names one, directly or through the attribute
it judges; otherwise to the annotator who wrote it; prompts are global.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.contract.tables import Table
from pipelines.privacy.findings import Route

BATCH_ROWS = 5000


def _user_scope(column: str) -> str:
    return f"'user:' || {column}"


def _column(table: Table, column: str, timestamp_precision: str) -> str:
    """A column as the scrub reads it: timestamps truncated (in UTC) to the precision kept."""
    if table.columns.get(column) == "TIMESTAMPTZ":
        return (
            f"date_trunc('{timestamp_precision}', t.{column} at time zone 'UTC') "
            f"at time zone 'UTC' as {column}"
        )
    return f"t.{column}"


def select_drop(table: Table, timestamp_precision: str) -> str:
    """The SQL that reads a drop's rows of `table` with their pseudonym scope, language and
    source."""
    columns = ", ".join(_column(table, c, timestamp_precision) for c in table.all_columns)
    joins = ""
    language = "null"
    source = "'annotation'"
    if table.scope == "conversation":
        joins = "left join raw.conversations c using (conversation_id)"
        scope = _user_scope("c.user_id")
        language = "coalesce(t.language, c.language)"
        source = "coalesce(c.source, 'unknown')"
    elif table.scope == "user":
        joins = (
            "left join (select user_id, any_value(source) as source from raw.conversations "
            "group by user_id) u using (user_id)"
        )
        scope = _user_scope("t.user_id")
        source = "coalesce(u.source, 'unknown')"
    elif table.scope == "attribute":
        # A judgment of an attribute talks about that attribute's user; attribute_id is the key
        # of raw.attributes (unique: a blocking check guards it), so a plain join, which keeps
        # one copy of the attributes in memory.
        joins = (
            "left join raw.attributes a using (attribute_id) "
            "left join (select user_id, any_value(source) as source from raw.conversations "
            "group by user_id) u on u.user_id = a.user_id"
        )
        scope = f"coalesce({_user_scope('a.user_id')}, 'annotator:' || t.annotator_id)"
        source = "coalesce(u.source, 'unknown')"
    elif table.scope == "annotator":
        scope = "'annotator:' || t.annotator_id"
    else:
        scope = "'global'"
        if "source" in table.columns:
            source = "t.source"
    if table.name == "conversations":
        language = "t.language"
        source = "t.source"
    order = ", ".join(f"t.{c}" for c in table.key)
    return (
        f"select {columns}, {scope} as _scope, {language} as _language, {source} as _source "
        f"from raw.{table.name} t {joins} where t._drop_id = ? order by {order}"
    )


def _text_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class Batch:
    """One Arrow batch of a drop's rows, with what both passes read of it as Python lists."""

    def __init__(
        self,
        table: Table,
        arrow: pa.RecordBatch,
        route_of: Callable[[str | None], Route | None],
        text_key: Callable[[Route, str], int],
    ):
        self.arrow = arrow
        self.scopes: list[str] = arrow.column("_scope").to_pylist()
        self.languages: list[str | None] = arrow.column("_language").to_pylist()
        self.sources: list[str] = arrow.column("_source").to_pylist()
        self.routes = [route_of(language) for language in self.languages]
        names = [*table.text_columns, *(["kind"] if "kind" in table.columns else [])]
        self.values: dict[str, list[Any]] = {c: arrow.column(c).to_pylist() for c in names}
        self.texts: list[tuple[int, str, str, int | None]] = [
            (i, column, text, None if route is None else text_key(route, text))
            for i, route in enumerate(self.routes)
            for column in table.text_columns
            for text in _text_values(self.values[column][i])
        ]
        """(row, column, text, cache key) of every text, row by row; no key when removed."""


def batches(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    drop_id: str,
    timestamp_precision: str,
    route_of: Callable[[str | None], Route | None],
    text_key: Callable[[Route, str], int],
) -> Iterator[Batch]:
    """The drop's rows as Arrow batches: only text and identifier columns become Python.

    They come sorted by key (placeholders are numbered in that order), on one DuckDB thread:
    rows as wide as their texts made the sort on two threads run out of memory under the 256MB
    cap at 500k conversations (raw.stage2_judgments, 28.8M rows), where one thread spills.
    """
    (threads,) = conn.execute("select current_setting('threads')").fetchone()
    conn.execute("set threads = 1")
    cursor = conn.cursor()
    try:
        cursor.execute(select_drop(table, timestamp_precision), [drop_id])
        for batch in cursor.to_arrow_reader(BATCH_ROWS):
            if batch.num_rows:
                yield Batch(table, batch, route_of, text_key)
    finally:
        cursor.close()
        conn.execute(f"set threads = {int(threads)}")


def scrubbed_frame(table: Table, batch: pa.RecordBatch, columns: dict[str, list[Any]]) -> pa.Table:
    """The batch with its scrubbed columns swapped in, in the table's column order."""
    frame = pa.Table.from_batches([batch]).select(table.all_columns)
    for name, values in columns.items():
        index = frame.schema.get_field_index(name)
        frame = frame.set_column(index, name, pa.array(values, type=frame.schema[index].type))
    return frame
