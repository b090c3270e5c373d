"""The residual-leak scan: a second, independent detector run over the scrubbed output.

Plain regexes with checksums (no Presidio, no NER), so a blind spot of the scrubber is not shared
by its auditor: e-mail, phone, payment card (Luhn), public IP, IBAN (mod 97), crowd-platform IDs,
API keys. Planted values of a ground-truth manifest are looked for too when the caller hands them
over (the generated sample's answer key, in its runs and tests): the scan never goes looking for
one.
A leak is reported by table, row key, field and entity type; never with its text.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.contract.tables import TABLES

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(
    r"(?<![\w.])(?:\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)|\d{1,4})(?:[ .\-]?\d{2,4}){2,4}"
    r"|\(\d{3}\)\s?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4})(?![\w])"
)
# Card-shaped: 15 or 16 digits from a card network's first digit, plain or in groups.
_CARD = re.compile(r"(?<![\d\-])[3-6]\d{3}(?:[ \-]?\d{4}){2}[ \-]?\d{3,4}(?![\d\-])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_PLATFORM_ID = re.compile(r"(?<![0-9A-Fa-f])[0-9a-f]{24}(?![0-9A-Fa-f])")
_SECRET = re.compile(r"\bsk-[A-Za-z0-9_\-]{20,}|\b(?:AKIA|ASIA)[A-Z2-7]{16}\b|\bgh[pousr]_\w{30,}")
_VERSION_BEFORE = re.compile(r"(?:\bv|version\s*|==|>=|@)$", re.IGNORECASE)


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _iban_valid(value: str) -> bool:
    compact = value.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _public_ip(text: str, match: re.Match[str]) -> bool:
    try:
        address = ipaddress.IPv4Address(match.group())
    except ValueError:
        return False
    return address.is_global and not _VERSION_BEFORE.search(
        text[max(0, match.start() - 10) : match.start()]
    )


def find_identifiers(text: str) -> Iterator[str]:
    """Entity types of the high-confidence identifiers in a text (one per occurrence)."""
    for _ in _EMAIL.finditer(text):
        yield "EMAIL_ADDRESS"
    for match in _PHONE.finditer(text):
        if sum(c.isdigit() for c in match.group()) >= 9:
            yield "PHONE_NUMBER"
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if _luhn(digits) and len(set(digits)) > 2:
            yield "CREDIT_CARD"
    for match in _IPV4.finditer(text):
        if _public_ip(text, match):
            yield "IP_ADDRESS"
    for match in _IBAN.finditer(text):
        if _iban_valid(match.group()):
            yield "IBAN_CODE"
    for match in _PLATFORM_ID.finditer(text):
        value = match.group()
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            yield "PLATFORM_ID"
    for _ in _SECRET.finditer(text):
        yield "SECRET"


@functools.lru_cache(maxsize=16_384)
def identifiers_in(text: str) -> tuple[str, ...]:
    """find_identifiers, remembered: judgments repeat the same few texts millions of times."""
    return tuple(find_identifiers(text))


@dataclass(frozen=True)
class Leak:
    table: str
    key: dict
    field: str
    entity_type: str
    source: str
    """"scan" (the independent detector) or "manifest" (a planted value)."""

    def describe(self) -> str:
        key = ", ".join(f"{name}={value}" for name, value in self.key.items())
        return f"{self.table} [{key}] {self.field}: {self.entity_type} ({self.source})"


def _texts(values: object) -> Iterable[str]:
    if isinstance(values, str):
        yield values
    elif isinstance(values, list):
        yield from (v for v in values if isinstance(v, str))


def scan_tables(
    conn: duckdb.DuckDBPyConnection, schema: str, drop_id: str | None = None
) -> list[Leak]:
    """Every high-confidence identifier left in the text columns of a schema (one drop or all)."""
    leaks = []
    for table in TABLES.values():
        if not table.text_columns:
            continue
        columns = [*table.key, *table.text_columns]
        width = len(table.key)
        where = "where _drop_id = ?" if drop_id is not None else ""
        cursor = conn.execute(
            f"select {', '.join(columns)} from {schema}.{table.name} {where}",
            [drop_id] if drop_id is not None else [],
        )
        while rows := cursor.fetchmany(2048):
            for row in rows:
                for field, values in zip(table.text_columns, row[width:], strict=True):
                    for text in _texts(values):
                        for entity_type in identifiers_in(text):
                            key = dict(zip(table.key, row[:width], strict=True))
                            leaks.append(Leak(table.name, key, field, entity_type, "scan"))
    return leaks


def scan_planted(
    conn: duckdb.DuckDBPyConnection,
    schema: str,
    planted: Iterable[dict],
    scrubbed_key: Callable[[str, dict], dict],
) -> list[Leak]:
    """Planted values (a ground-truth manifest's `entities`) still present in their scrubbed field.

    `scrubbed_key(table, raw_key)` gives the row's key in the scrubbed table (identifier columns
    in the key are hashed there).
    """
    leaks = []
    for entry in planted:
        table = TABLES[entry["table"]]
        key = scrubbed_key(table.name, entry["key"])
        condition = " and ".join(f"{name} = ?" for name in key)
        row = conn.execute(
            f"select {entry['field']} from {schema}.{table.name} where {condition}",
            list(key.values()),
        ).fetchone()
        if row is None:
            continue
        pattern = re.compile(rf"(?<!\w){re.escape(entry['value'])}(?!\w)")
        if any(pattern.search(text) for text in _texts(row[0])):
            leaks.append(Leak(table.name, key, entry["field"], entry["entity_type"], "manifest"))
    return leaks


def load_planted(manifest_path: Path) -> list[dict]:
    """The planted values of a ground-truth manifest file, for `scan_planted`."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return list(manifest.get("entities", []))


def scan_staged(
    conn: duckdb.DuckDBPyConnection,
    schema: str,
    scrubbed_key: Callable[[str, dict], dict],
    planted: Iterable[dict] | None = None,
) -> list[Leak]:
    """The residual-leak scan of a scrubbed schema: every identifier left, and every planted value
    when some are given."""
    leaks = scan_tables(conn, schema)
    if planted is not None:
        leaks += scan_planted(conn, schema, planted, scrubbed_key)
    return leaks


def summarize(leaks: list[Leak], limit: int = 20) -> str:
    """A message for the check and the logs: counts, then the first leaks by location and type."""
    counts = Counter((leak.table, leak.entity_type) for leak in leaks)
    lines = [f"{len(leaks)} identifiers survived scrubbing:"]
    lines += [f"  {table}: {count} x {entity}" for (table, entity), count in sorted(counts.items())]
    lines += ["first ones:"] + [f"  {leak.describe()}" for leak in leaks[:limit]]
    return "\n".join(lines)
