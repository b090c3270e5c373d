"""Identifier columns as the scrub writes them: keyed-hashed, reduced to their non-personal fact
(a header to its client kind) or dropped; an LLM judge's id is no person's and stays readable.
Ids inside lists and evidence are hashed as their own column is, so every join between tables
holds.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from pipelines.contract.tables import (
    IDENTIFIER_LISTS,
    IDENTIFIER_PREFIXES,
    IDENTIFIERS_IN_OBJECTS,
    NULLED_IDENTIFIERS,
    REDUCED_IDENTIFIERS,
    TABLES,
    Table,
)
from pipelines.privacy.pseudonymizer import hash_identifier, scrubbed_header
from pipelines.privacy.scrub_cache import keep

# Keyed hashes of the identifiers seen last: a drop names the same few users and annotators in most
# of its rows, and rows come sorted by key, but record ids (attributes, conversations) are millions
# in a large drop, so the memory is bounded.
RECENT_IDENTIFIERS = 65_536


class IdentifierHasher:
    """Scrubs identifier values with the warehouse's key, remembering the ones hashed last."""

    def __init__(self, key: bytes):
        self.key = key
        self.llm_annotators: set[str] = set()
        self.recent: dict[tuple[str, str], str] = {}

    def load_llm_annotators(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.llm_annotators = {
            row[0]
            for row in conn.execute(
                "select distinct annotator_id from raw.annotators where kind = 'llm'"
            ).fetchall()
        }

    def scrub(self, column: str, value: Any, kind: str | None) -> Any:
        """One identifier column's value as the scrubbed table holds it."""
        if value is None or column in NULLED_IDENTIFIERS:
            return None
        if column in REDUCED_IDENTIFIERS:
            return scrubbed_header(value)
        if column in IDENTIFIER_LISTS:
            return [self._hashed(IDENTIFIER_LISTS[column], v) for v in value]
        if column in IDENTIFIERS_IN_OBJECTS:
            named = IDENTIFIERS_IN_OBJECTS[column]
            return json.dumps(
                [{**item, named: self._hashed(named, item[named])} for item in json.loads(value)]
            )
        if column == "annotator_id" and (value in self.llm_annotators or kind == "llm"):
            return value
        if column not in IDENTIFIER_PREFIXES:
            return value
        return self._hashed(column, value)

    def _hashed(self, column: str, value: str) -> str:
        hashed = self.recent.get((column, value))
        if hashed is None:
            hashed = hash_identifier(self.key, column, value)
            keep(self.recent, {(column, value): hashed}, RECENT_IDENTIFIERS)
        return hashed

    def scrubbed_key(self, table_name: str, raw_key: dict[str, Any]) -> dict[str, Any]:
        """A raw row key as it reads in the scrubbed table (identifier columns hashed)."""
        table = TABLES[table_name]
        row = dict(raw_key)
        key_table = Table(
            table.name,
            table.columns,
            table.key,
            identifier_columns=tuple(c for c in table.identifier_columns if c in row),
        )
        for column in key_table.identifier_columns:
            row[column] = self.scrub(column, row[column], row.get("kind"))
        return row
