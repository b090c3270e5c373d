"""Where each raw export lands: file name, model, DuckDB table, its columns and its key.

The raw schema `raw` holds the records exactly as validated (personal data included; it is never
published). The privacy stage writes the same tables, same columns, into the schema `scrubbed`.
Every row carries its lineage: `_drop_id`, `_file`, `_line`.

Every string column has one role: free text the privacy stage scrubs (`text_columns`), an
identifier it hashes (`identifier_columns`), or a value of a closed vocabulary declared here
(`vocabulary_columns`), checked at ingest; nothing else reaches a published file.

A table's key identifies a record, but the tables declare no primary key: DuckDB would keep its
index in memory, growing with every drop. Ingest keeps keys unique instead: it quarantines a key
repeated within a drop, and of two drops that deliver the same key the later delivery's row stays
(`raw.drops`: a drop's delivery time), whichever is ingested last.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, get_args

import duckdb
import pyarrow as pa
from pydantic import BaseModel

from pipelines.contract import models as m

LINEAGE_COLUMNS = {"_drop_id": "VARCHAR NOT NULL", "_file": "VARCHAR NOT NULL", "_line": "BIGINT"}
# DuckDB types that hold strings: every column of one of them has a role (text, identifier or
# vocabulary).
STRING_TYPES = ("VARCHAR", "VARCHAR[]", "JSON")


@dataclass(frozen=True)
class Vocabulary:
    """The values a vocabulary column may hold: a closed list where the study's values are known,
    else a strict pattern (model, language and place names). Ingest quarantines a value outside
    it, and a value in which the residual-leak detector finds an identifier."""

    description: str
    values: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None

    @classmethod
    def closed(cls, literal: Any) -> Vocabulary:
        """The values of one of the contract's `Literal` types."""
        values = get_args(literal)
        return cls(f"one of {', '.join(values)}", values=frozenset(values))

    def admits(self, value: str) -> bool:
        if self.pattern is not None:
            return self.pattern.fullmatch(value) is not None
        return value in self.values


NAME = Vocabulary(
    "a name of letters, digits and . _ : / space -, at most 80 characters",
    pattern=re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/ -]{0,79}"),
)
"""Model names (`gpt-4o-mini-2024-07-18`, `meta-llama/Llama-3.1-70B`), platforms, source ids."""
NAME_IN_WORDS = Vocabulary(
    "a name in words: letters of any script, spaces and . , & ' ( ) -, no digits, at most 80 "
    "characters",
    pattern=re.compile(r"[^\W\d_](?:[^\W\d_]|[ .,&'\u2019()-]){0,79}"),
)
"""Language and place names (`Chinese (China)`, `Côtes-d'Armor`, `Bình Dương Province`)."""
SOURCE = Vocabulary(
    "a source name of lower-case letters, digits, _ and -, at most 80 characters",
    pattern=re.compile(r"[a-z0-9_-]{1,80}"),
)
LLM_JUDGE_ID = NAME
"""An LLM judge's `annotator_id` (`llm:gpt-4o`) names no person and stays readable where a human
annotator's is hashed: ingest holds it to this vocabulary, as it does `model_name`."""


@dataclass(frozen=True)
class Table:
    """One DuckDB table of the raw and scrubbed schemas."""

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    text_columns: tuple[str, ...] = ()
    """Free text that the privacy stage scrubs."""
    identifier_columns: tuple[str, ...] = ()
    """Keys that identify a person, or a record by its place in a source corpus, and fields that
    hold such keys; the privacy stage turns them into keyed hashes (`pipelines/privacy/`)."""
    vocabulary_columns: dict[str, Vocabulary] = field(default_factory=dict)
    """Labels and names published as they are: each value must belong to its vocabulary."""
    part_of: tuple[str, str] | None = None
    """(table, column): the rows come whole with a record of that table, so a new delivery of
    the record replaces all of them (a conversation delivered again with fewer turns keeps none
    of its old turns)."""

    def ddl(self, schema: str) -> str:
        columns = {**self.columns, **LINEAGE_COLUMNS}
        body = ",\n    ".join(f"{name} {kind}" for name, kind in columns.items())
        return f"create table if not exists {schema}.{self.name} (\n    {body}\n)"

    @property
    def all_columns(self) -> list[str]:
        return [*self.columns, *LINEAGE_COLUMNS]

    def replace_drop(
        self,
        conn: duckdb.DuckDBPyConnection,
        schema: str,
        staging: str,
        drop_id: str,
        later_drops: Sequence[str] = (),
    ) -> int:
        """Replace a drop's rows in `schema` by the rows staged for it in `staging`; the number
        of staged rows left out.

        The drop's earlier rows go, and so do other drops' rows whose key the drop delivers again,
        unless that drop is one of `later_drops` (delivered after this one, `later_deliveries`):
        there the staged row is left out. The later delivery wins whatever the order of
        processing, and keys stay unique without a primary-key index. A record of `part_of`
        (a conversation's turns) wins or loses whole with its parent. The caller holds the
        transaction.
        """
        target, staged = f"{schema}.{self.name}", f"{staging}.{self.name}"
        conn.execute(f"delete from {target} where _drop_id = ?", [drop_id])
        earlier = "and not list_contains(?, old._drop_id)" if later_drops else ""
        parameters = [list(later_drops)] if later_drops else []
        # Its own statement: joined alone, DuckDB hashes the smaller side (the target or the
        # drop), where an `or` with the delete above would make it hash every key of the drop.
        same_key = " and ".join(f"old.{k} = new.{k}" for k in self.key)
        conn.execute(
            f"delete from {target} old using {staged} new where {same_key} {earlier}", parameters
        )
        if self.part_of:
            parent, column = self.part_of
            conn.execute(
                f"delete from {target} old using {staging}.{parent} new "
                f"where old.{column} = new.{column} {earlier}",
                parameters,
            )
        columns = ", ".join(self.all_columns)
        if not later_drops:
            conn.execute(f"insert into {target} ({columns}) select {columns} from {staged}")
            return 0
        # What is left in the target under a staged key is a later delivery's: it stays.
        group = (self.part_of[1],) if self.part_of else self.key
        same_group = " and ".join(f"old.{k} = new.{k}" for k in group)
        (inserted,) = conn.execute(
            f"insert into {target} ({columns}) select {columns} from {staged} new "
            f"where not exists (select 1 from {target} old "
            f"where list_contains(?, old._drop_id) and {same_group})",
            parameters,
        ).fetchone()
        (staged_rows,) = conn.execute(f"select count(*) from {staged}").fetchone()
        return staged_rows - inserted


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


@dataclass(frozen=True)
class RawFile:
    """One export file of a drop: its model and how a record becomes rows of which tables."""

    stem: str
    model: type[BaseModel]
    to_rows: Callable[[Any], Iterator[tuple[str, dict[str, Any]]]]
    tables: tuple[str, ...]


def as_utc(value: datetime | None) -> datetime | None:
    """Timestamps without a zone are read as UTC, so every stored timestamp compares."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "conversations",
            {
                "conversation_id": "VARCHAR NOT NULL",
                "user_id": "VARCHAR NOT NULL",
                "hashed_ip": "VARCHAR",
                "source": "VARCHAR NOT NULL",
                "source_kind": "VARCHAR NOT NULL",
                "header": "JSON",
                "country": "VARCHAR",
                "state": "VARCHAR",
                "timestamp": "TIMESTAMPTZ",
                "model": "VARCHAR",
                "language": "VARCHAR",
                "toxic": "BOOLEAN NOT NULL",
                "redacted": "BOOLEAN NOT NULL",
                "n_turns": "INTEGER NOT NULL",
            },
            key=("conversation_id",),
            identifier_columns=("conversation_id", "user_id", "hashed_ip", "header"),
            vocabulary_columns={
                "source": SOURCE,
                "source_kind": Vocabulary.closed(m.SourceKind),
                "country": NAME_IN_WORDS,
                "state": NAME_IN_WORDS,
                "model": NAME,
                "language": NAME_IN_WORDS,
            },
        ),
        Table(
            "turns",
            {
                "conversation_id": "VARCHAR NOT NULL",
                "turn_index": "INTEGER NOT NULL",
                "role": "VARCHAR NOT NULL",
                "content": "VARCHAR NOT NULL",
                "language": "VARCHAR",
                "timestamp": "TIMESTAMPTZ",
            },
            key=("conversation_id", "turn_index"),
            text_columns=("content",),
            identifier_columns=("conversation_id",),
            vocabulary_columns={"role": Vocabulary.closed(m.Role), "language": NAME_IN_WORDS},
            part_of=("conversations", "conversation_id"),
        ),
        Table(
            "attributes",
            {
                "attribute_id": "VARCHAR NOT NULL",
                "user_id": "VARCHAR NOT NULL",
                "attribute": "VARCHAR NOT NULL",
                "extractor_model": "VARCHAR",
                "reason": "VARCHAR",
                "confidence": "DOUBLE",
                "evidence": "JSON",
                "merged_from": "VARCHAR[]",
            },
            key=("attribute_id",),
            text_columns=("attribute", "reason", "merged_from"),
            identifier_columns=("attribute_id", "user_id", "evidence"),
            vocabulary_columns={"extractor_model": NAME},
        ),
        Table(
            "prompts",
            {
                "prompt_id": "VARCHAR NOT NULL",
                "prompt_text": "VARCHAR NOT NULL",
                "source": "VARCHAR NOT NULL",
                "source_id": "VARCHAR",
            },
            key=("prompt_id",),
            text_columns=("prompt_text",),
            identifier_columns=("prompt_id",),
            vocabulary_columns={"source": SOURCE, "source_id": NAME},
        ),
        Table(
            "annotators",
            {
                "annotator_id": "VARCHAR NOT NULL",
                "kind": "VARCHAR NOT NULL",
                "platform": "VARCHAR",
                "display_name": "VARCHAR",
                "model_name": "VARCHAR",
            },
            key=("annotator_id",),
            identifier_columns=("annotator_id", "display_name"),
            vocabulary_columns={
                "kind": Vocabulary.closed(m.AnnotatorKind),
                "platform": NAME,
                "model_name": NAME,
            },
        ),
        Table(
            "stage1_judgments",
            {
                "annotator_id": "VARCHAR NOT NULL",
                "attribute_id": "VARCHAR NOT NULL",
                "label": "VARCHAR NOT NULL",
                "failure_category": "VARCHAR",
                "note": "VARCHAR",
                "flagged": "BOOLEAN NOT NULL",
                "timestamp": "TIMESTAMPTZ",
            },
            key=("annotator_id", "attribute_id"),
            text_columns=("note",),
            identifier_columns=("annotator_id", "attribute_id"),
            vocabulary_columns={
                "label": Vocabulary.closed(m.Stage1Label),
                "failure_category": Vocabulary.closed(m.FailureCategory),
            },
        ),
        Table(
            "stage1_reviews",
            {
                "annotator_id": "VARCHAR NOT NULL",
                "user_id": "VARCHAR NOT NULL",
                "missing_attributes": "VARCHAR",
                "overall_note": "VARCHAR",
                "flagged": "BOOLEAN NOT NULL",
                "timestamp": "TIMESTAMPTZ",
            },
            key=("annotator_id", "user_id"),
            text_columns=("missing_attributes", "overall_note"),
            identifier_columns=("annotator_id", "user_id"),
        ),
        Table(
            "stage2_judgments",
            {
                "annotator_id": "VARCHAR NOT NULL",
                "user_id": "VARCHAR NOT NULL",
                "attribute_id": "VARCHAR NOT NULL",
                "prompt_id": "VARCHAR NOT NULL",
                "relevant": "BOOLEAN NOT NULL",
                "rating": "VARCHAR",
                "model_suggested_relevant": "BOOLEAN",
                "relevance_score": "DOUBLE",
                "raw_answer": "VARCHAR",
                "note": "VARCHAR",
                "flagged": "BOOLEAN NOT NULL",
                "timestamp": "TIMESTAMPTZ",
            },
            key=("annotator_id", "attribute_id", "prompt_id"),
            text_columns=("raw_answer", "note"),
            identifier_columns=("annotator_id", "user_id", "attribute_id", "prompt_id"),
            vocabulary_columns={"rating": Vocabulary.closed(m.RelevanceRating)},
        ),
        Table(
            "expected_behaviors",
            {
                "user_id": "VARCHAR NOT NULL",
                "attribute_id": "VARCHAR NOT NULL",
                "prompt_id": "VARCHAR NOT NULL",
                "generator_model": "VARCHAR NOT NULL",
                "explicit_behavior": "VARCHAR",
                "implicit_behavior": "VARCHAR",
            },
            key=("attribute_id", "prompt_id", "generator_model"),
            text_columns=("explicit_behavior", "implicit_behavior"),
            identifier_columns=("user_id", "attribute_id", "prompt_id"),
            vocabulary_columns={"generator_model": NAME},
        ),
        Table(
            "stage3_items",
            {
                "item_id": "VARCHAR NOT NULL",
                "user_id": "VARCHAR NOT NULL",
                "prompt_id": "VARCHAR NOT NULL",
                "generator_model": "VARCHAR NOT NULL",
                "generic_response": "VARCHAR NOT NULL",
                "personalized_response": "VARCHAR NOT NULL",
                "presentation_order": "VARCHAR",
                "mentions_attribute_explicitly": "BOOLEAN",
                "attribute_ids": "VARCHAR[]",
            },
            key=("item_id",),
            text_columns=("generic_response", "personalized_response"),
            identifier_columns=("item_id", "user_id", "prompt_id", "attribute_ids"),
            vocabulary_columns={
                "generator_model": NAME,
                "presentation_order": Vocabulary.closed(m.PresentationOrder),
            },
        ),
        Table(
            "stage3_ratings",
            {
                "annotator_id": "VARCHAR NOT NULL",
                "item_id": "VARCHAR NOT NULL",
                "rating": "INTEGER NOT NULL",
                "note": "VARCHAR",
                "timestamp": "TIMESTAMPTZ",
            },
            key=("annotator_id", "item_id"),
            text_columns=("note",),
            identifier_columns=("annotator_id", "item_id"),
        ),
    ]
}

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


def _conversation_rows(c: m.Conversation) -> Iterator[tuple[str, dict[str, Any]]]:
    yield (
        "conversations",
        {
            "conversation_id": c.conversation_id,
            "user_id": c.user_key,
            "hashed_ip": c.hashed_ip,
            "source": c.source,
            "source_kind": c.source_kind,
            "header": c.header,
            "country": c.country,
            "state": c.state,
            "timestamp": as_utc(c.timestamp),
            "model": c.model,
            "language": c.language,
            "toxic": c.toxic,
            "redacted": c.redacted,
            "n_turns": len(c.turns),
        },
    )
    for index, turn in enumerate(c.turns):
        yield (
            "turns",
            {
                "conversation_id": c.conversation_id,
                "turn_index": index,
                "role": turn.role,
                "content": turn.content,
                "language": turn.language,
                "timestamp": as_utc(turn.timestamp),
            },
        )


def _one_row(
    table: str, model: type[BaseModel]
) -> Callable[[BaseModel], Iterator[tuple[str, dict[str, Any]]]]:
    # The timestamp fields, found once: this runs for every record of a drop.
    stamps = [
        name
        for name, info in model.model_fields.items()
        if datetime in (info.annotation, *get_args(info.annotation))
    ]

    def to_rows(record: BaseModel) -> Iterator[tuple[str, dict[str, Any]]]:
        row = record.model_dump(mode="python")
        for name in stamps:
            row[name] = as_utc(row[name])
        yield table, row

    return to_rows


def _attribute_rows(a: m.Attribute) -> Iterator[tuple[str, dict[str, Any]]]:
    row = a.model_dump(mode="python")
    row["evidence"] = row["evidence"] or None
    yield "attributes", row


RAW_FILES: dict[str, RawFile] = {
    f.stem: f
    for f in [
        RawFile("conversations", m.Conversation, _conversation_rows, ("conversations", "turns")),
        RawFile("attributes", m.Attribute, _attribute_rows, ("attributes",)),
        *(
            RawFile(stem, model, _one_row(stem, model), (stem,))
            for stem, model in [
                ("prompts", m.Prompt),
                ("annotators", m.Annotator),
                ("stage1_judgments", m.Stage1Judgment),
                ("stage1_reviews", m.Stage1Review),
                ("stage2_judgments", m.Stage2Judgment),
                ("expected_behaviors", m.ExpectedBehavior),
                ("stage3_items", m.Stage3Item),
                ("stage3_ratings", m.Stage3Rating),
            ]
        ),
    ]
}

# Foreign keys checked after a drop lands: (table, column) -> (referenced table, column).
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("turns", "conversation_id"): ("conversations", "conversation_id"),
    ("stage1_judgments", "annotator_id"): ("annotators", "annotator_id"),
    ("stage1_judgments", "attribute_id"): ("attributes", "attribute_id"),
    ("stage1_reviews", "annotator_id"): ("annotators", "annotator_id"),
    ("stage2_judgments", "annotator_id"): ("annotators", "annotator_id"),
    ("stage2_judgments", "attribute_id"): ("attributes", "attribute_id"),
    ("stage2_judgments", "prompt_id"): ("prompts", "prompt_id"),
    ("expected_behaviors", "attribute_id"): ("attributes", "attribute_id"),
    ("expected_behaviors", "prompt_id"): ("prompts", "prompt_id"),
    ("stage3_items", "prompt_id"): ("prompts", "prompt_id"),
    ("stage3_ratings", "annotator_id"): ("annotators", "annotator_id"),
    ("stage3_ratings", "item_id"): ("stage3_items", "item_id"),
}
