"""One record of an export file checked beyond its model: what a quarantined line says of itself
(field and reason, never a value), a masked excerpt of the line, over-long free text, and values
outside their vocabulary."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from pipelines.contract.models import FIELD_NAMES
from pipelines.contract.tables import LLM_JUDGE_ID, TABLES, Vocabulary
from pipelines.privacy.audit import identifiers_in

# Characters of a quarantined line kept in `raw_record`, letters and digits masked.
EXCERPT_CHARS = 80
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
# A row of a nested table is an item of the record's list of that name, at this key column.
_NESTED_INDEX = {
    name: next(column for column in table.key if column != table.part_of[1])
    for name, table in TABLES.items()
    if table.part_of
}

Rows = list[tuple[str, dict[str, Any]]]


def describe(error: ValidationError, document: str | bytes) -> tuple[str, str]:
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
    if all(isinstance(part, int) or part in FIELD_NAMES for part in loc):
        return ".".join(str(part) for part in loc)
    try:
        node: Any = json.loads(document)
    except (ValueError, RecursionError):
        node = None
    parts = []
    for part in loc:
        if isinstance(part, str) and part not in FIELD_NAMES:
            keys = list(node) if isinstance(node, dict) else []
            parts.append(f"<key {keys.index(part) + 1}>" if part in keys else "<key>")
        else:
            parts.append(str(part))
        inside = isinstance(node, dict) and part in node
        inside = inside or (isinstance(node, list) and isinstance(part, int) and part < len(node))
        node = node[part] if inside else None
    return ".".join(parts)


def masked_excerpt(line: bytes) -> str:
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


def over_long_text(rows: Rows, limit: int) -> tuple[str, str] | None:
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


def outside_vocabulary(rows: Rows) -> tuple[str, str] | None:
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
