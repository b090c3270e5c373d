"""Where each raw export lands: file name, model, DuckDB table, its columns and its key, all read
from the declaration (`contract.yml`).

The raw schema `raw` holds the records exactly as validated (personal data included; it is never
published). The privacy stage writes the same tables, same columns, into the schema `scrubbed`.
Every row carries its lineage: `_drop_id`, `_file`, `_line`.

Every string column has one role: free text the privacy stage scrubs (`text_columns`), an
identifier it hashes, reduces or drops (`identifier_columns`, treated as `IDENTIFIER_PREFIXES`
and the maps beside it say), or a value of a closed vocabulary declared in the contract
(`vocabulary_columns`), checked at ingest; nothing else reaches a published file.

A table's key identifies a record, but the tables declare no primary key: DuckDB would keep its
index in memory, growing with every drop. Ingest keeps keys unique instead: it quarantines a key
repeated within a drop, and of two drops that deliver the same key the later delivery's row stays
(`raw.drops`: a drop's delivery time), whichever is ingested last.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
from pydantic import BaseModel

from pipelines.contract.declaration import (
    CONTRACT,
    STRING_TYPES,  # noqa: F401 - public
    TableSpec,
)
from pipelines.contract.models import DERIVATIONS, MODELS
from pipelines.contract.warehouse import (  # noqa: F401 - the contract's public names
    DROPS_DDL,
    INGESTED_FILES_DDL,
    QUARANTINE_DDL,
    as_utc,
    create_drops_table,
    later_deliveries,
    registered,
    transaction,
)

LINEAGE_COLUMNS = {name: spec["duckdb"] for name, spec in CONTRACT.lineage.items()}


@dataclass(frozen=True)
class Vocabulary:
    """The values a vocabulary column may hold: a closed list where the study's values are known,
    else a strict pattern (model, language and place names). Ingest quarantines a value outside
    it, and a value in which the residual-leak detector finds an identifier."""

    description: str
    values: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None

    def admits(self, value: str) -> bool:
        if self.pattern is not None:
            return self.pattern.fullmatch(value) is not None
        return value in self.values


VOCABULARIES: dict[str, Vocabulary] = {
    name: Vocabulary(
        spec.description,
        frozenset(spec.values),
        re.compile(spec.pattern) if spec.pattern else None,
    )
    for name, spec in CONTRACT.vocabularies.items()
}
NAME = VOCABULARIES["name"]
"""Model names (`gpt-4o-mini-2024-07-18`, `meta-llama/Llama-3.1-70B`), platforms, source ids."""
NAME_IN_WORDS = VOCABULARIES["name_in_words"]
"""Language and place names (`Chinese (China)`, `Côtes-d'Armor`, `Bình Dương Province`)."""
SOURCE = VOCABULARIES["source"]
LLM_JUDGE_ID = NAME
"""An LLM judge's `annotator_id` (`llm:gpt-4o`) names no person and stays readable where a human
annotator's is hashed: ingest holds it to this vocabulary, as it does `model_name`."""

# What the privacy stage does with each identifier column (`identifiers:` of the declaration).
_IDENTIFIERS = CONTRACT.identifiers
IDENTIFIER_PREFIXES = {c: s["prefix"] for c, s in _IDENTIFIERS.items() if "prefix" in s}
"""Keyed-hash prefix per identifier column, so every table agrees on a key."""
IDENTIFIER_LISTS = {c: s["items_of"] for c, s in _IDENTIFIERS.items() if "items_of" in s}
"""Identifier columns holding a list of another column's ids, hashed id by id."""
IDENTIFIERS_IN_OBJECTS = {
    c: s["objects_naming"] for c, s in _IDENTIFIERS.items() if "objects_naming" in s
}
"""JSON identifier columns holding a list of objects that name another column's id."""
NULLED_IDENTIFIERS = frozenset(c for c, s in _IDENTIFIERS.items() if s.get("drop"))
"""Identifier columns that are dropped (set to null) rather than hashed."""
REDUCED_IDENTIFIERS = {c: s["reduce"] for c, s in _IDENTIFIERS.items() if "reduce" in s}
"""Identifier columns kept only as a non-personal fact (the header as its client kind)."""


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
    scope: str = "global"
    """Whose pseudonyms a text of the table shares: the `user` it names, the user of its
    `conversation` or of the `attribute` it judges (else its annotator), its `annotator`, or
    `global` (`contract.yml`: scope)."""

    def ddl(self, schema: str) -> str:
        columns = {**self.columns, **LINEAGE_COLUMNS}
        body = ",\n    ".join(f"{name} {kind}" for name, kind in columns.items())
        return f"create table if not exists {schema}.{self.name} (\n    {body}\n)"

    def ensure(self, conn: duckdb.DuckDBPyConnection, schema: str) -> None:
        """Create the table, or add the columns the contract declares and it lacks: a column
        added to the contract is optional, so older rows hold null in it."""
        conn.execute(self.ddl(schema))
        present = {
            name
            for (name,) in conn.execute(
                "select column_name from duckdb_columns() where database_name = "
                "current_database() and schema_name = ? and table_name = ?",
                [schema.strip('"'), self.name],
            ).fetchall()
        }
        for name, kind in self.columns.items():
            if name not in present:
                conn.execute(
                    f"alter table {schema}.{self.name} add column {name} "
                    f"{kind.replace(' NOT NULL', '')}"
                )

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


def _table(spec: TableSpec) -> Table:
    def having(role: str) -> tuple[str, ...]:
        return tuple(c.name for c in spec.columns.values() if c.role == role)

    part_of = None
    if spec.part_of:
        parent = spec.part_of["table"]
        part_of = (parent, CONTRACT.tables[parent].key[0])
    return Table(
        name=spec.name,
        columns={
            c.name: c.duckdb_type + (" NOT NULL" if c.not_null else "")
            for c in spec.columns.values()
        },
        key=spec.key,
        text_columns=having("text"),
        identifier_columns=having("identifier"),
        vocabulary_columns={
            c.name: VOCABULARIES[c.vocabulary]
            for c in spec.columns.values()
            if c.vocabulary is not None
        },
        part_of=part_of,
        scope=spec.scope,
    )


TABLES: dict[str, Table] = {name: _table(spec) for name, spec in CONTRACT.tables.items()}

# Foreign keys checked after a drop lands: (table, column) -> (referenced table, column).
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    (spec.name, column.name): column.references
    for spec in CONTRACT.tables.values()
    for column in spec.columns.values()
    if column.references
}


@dataclass(frozen=True)
class RawFile:
    """One export file of a drop: its model and how a record becomes rows of which tables."""

    stem: str
    model: type[BaseModel]
    to_rows: Callable[[Any], Iterator[tuple[str, dict[str, Any]]]]
    tables: tuple[str, ...]


Getter = Callable[[Any], Any]


def _getters(spec: TableSpec) -> dict[str, Getter]:
    """How each stored column of a table is read from its record (found once: this runs for
    every record of a drop)."""
    getters: dict[str, Getter] = {}
    for column in spec.columns.values():
        name = column.name
        if column.derive:
            getters[name] = DERIVATIONS[column.derive]
        elif not column.record:
            continue  # filled from the parent record (a part's key and position)
        elif column.type == "datetime":
            getters[name] = lambda r, n=name: as_utc(getattr(r, n))
        elif column.type == "object_list":
            # An empty list is stored as null: it says nothing the absence does not.
            getters[name] = lambda r, n=name: [i.model_dump() for i in getattr(r, n)] or None
        else:
            getters[name] = lambda r, n=name: getattr(r, n)
    return getters


def _to_rows(spec: TableSpec) -> Callable[[Any], Iterator[tuple[str, dict[str, Any]]]]:
    getters = _getters(spec)
    parts = [
        (child, _getters(child), child.part_of)
        for child in CONTRACT.tables.values()
        if child.part_of and child.part_of["table"] == spec.name
    ]

    def to_rows(record: BaseModel) -> Iterator[tuple[str, dict[str, Any]]]:
        row = {name: get(record) for name, get in getters.items()}
        yield spec.name, row
        for child, child_getters, part_of in parts:
            parent_key = {k: row[k] for k in spec.key}
            for index, item in enumerate(getattr(record, part_of["field"])):
                child_row = {**parent_key, part_of["index"]: index}
                child_row.update((name, get(item)) for name, get in child_getters.items())
                yield child.name, {c: child_row.get(c) for c in child.columns}

    return to_rows


def _parts(parent: str) -> tuple[str, ...]:
    return tuple(n for n, s in CONTRACT.tables.items() if (s.part_of or {}).get("table") == parent)


RAW_FILES: dict[str, RawFile] = {
    spec.file: RawFile(
        spec.file, MODELS[spec.name], _to_rows(spec), (spec.name, *_parts(spec.name))
    )
    for spec in CONTRACT.tables.values()
    if spec.file
}


def json_text(value: Any) -> Any:
    """A JSON column's value as DuckDB receives it: text (its JSON type is text underneath)."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value
