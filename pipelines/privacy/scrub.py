"""Scrub one drop: `raw` tables in, `scrubbed` tables out, with counts of what was found.

Two passes over the drop's rows, both streamed from DuckDB. The first finds what to scrub in every
text, from the cache (`private.scrub_cache`, keyed by a keyed hash of configuration version, route
and text) or from the detector for texts never seen, and gathers the names found per scope. The
second writes the scrubbed rows: text with numbered placeholders, names found elsewhere in the same
scope replaced too, identifier columns hashed or dropped. All of a drop's scrubbed rows, and the new
pseudonym numbers, are replaced in one transaction, checked by the residual-leak scan before it
commits: a drop that fails the scan leaves nothing behind.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.contract.tables import TABLES, Table
from pipelines.privacy.audit import Leak, scan_manifest, scan_tables
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.engine import Finding, Route, detect_parallel, is_english
from pipelines.privacy.pseudonymizer import (
    IDENTIFIER_PREFIXES,
    NULLED_IDENTIFIERS,
    PSEUDONYMS_DDL,
    Pseudonymizer,
    hash_identifier,
    keyed_hash,
)

SCHEMA = "scrubbed"
REMOVED_TEXT = "<NON_ENGLISH_TEXT_REMOVED>"
CACHE_DDL = """
create table if not exists private.scrub_cache (
    text_key VARCHAR PRIMARY KEY,
    findings JSON NOT NULL
)"""
# Findings per entity type, table, field, source and language group: counts, never text.
AUDIT_DDL = """
create table if not exists private.pii_audit (
    _drop_id VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    language_group VARCHAR NOT NULL,
    entity_type VARCHAR NOT NULL,
    findings BIGINT NOT NULL
)"""
BATCH_ROWS = 2048
LATIN = "A-Za-z\u00c0-\u024f"


def _user_scope(column: str) -> str:
    return f"'user:' || {column}"


# Per table: the SQL that reads a drop's rows with their pseudonym scope, language and source.
# A text belongs to the user it is about when the row names one, directly or through the attribute
# it judges; otherwise to the annotator who wrote it; prompts are global.
def _select(table: Table) -> str:
    columns = ", ".join(f"t.{c}" for c in table.all_columns)
    joins = ""
    language = "null"
    source = "'annotation'"
    if table.name == "turns":
        joins = "left join raw.conversations c using (conversation_id)"
        scope = _user_scope("c.user_id")
        language = "coalesce(t.language, c.language)"
        source = "coalesce(c.source, 'unknown')"
    elif "user_id" in table.columns:
        joins = (
            "left join (select user_id, any_value(source) as source from raw.conversations "
            "group by user_id) u using (user_id)"
        )
        scope = _user_scope("t.user_id")
        source = "coalesce(u.source, 'unknown')"
    elif "attribute_id" in table.columns:
        # A judgment of an attribute talks about that attribute's user.
        joins = (
            "left join (select attribute_id, any_value(user_id) as user_id from raw.attributes "
            "group by attribute_id) a using (attribute_id) "
            "left join (select user_id, any_value(source) as source from raw.conversations "
            "group by user_id) u on u.user_id = a.user_id"
        )
        scope = f"coalesce({_user_scope('a.user_id')}, 'annotator:' || t.annotator_id)"
        source = "coalesce(u.source, 'unknown')"
    elif "annotator_id" in table.columns:
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


@dataclass
class ScrubReport:
    """What one drop's scrub did, for the asset's metadata."""

    rows: Counter = field(default_factory=Counter)
    texts: int = 0
    texts_analyzed: int = 0
    cache_hits: int = 0
    findings: Counter = field(default_factory=Counter)
    """(table, field, source, language group, entity type) -> count."""
    non_english_texts: Counter = field(default_factory=Counter)
    """table -> texts routed to the non-English policy."""
    propagated_names: int = 0
    new_pseudonyms: int = 0
    leaks: list[Leak] = field(default_factory=list)
    previews: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def by_entity(self, table: str | None = None) -> Counter:
        counts: Counter = Counter()
        for (name, _field, _source, _language, entity), count in self.findings.items():
            if table is None or name == table:
                counts[entity] += count
        return counts


class LeakFound(Exception):
    """The residual-leak scan found identifiers in the scrubbed rows; nothing was committed."""

    def __init__(self, report: ScrubReport):
        super().__init__(f"{len(report.leaks)} identifiers survived scrubbing")
        self.report = report


_ADDRESS_NAME = re.compile(r"^([a-z]{2,})[._-]([a-z]{2,})\d*@", re.IGNORECASE)


def name_in_address(address: str) -> str | None:
    """"owen_herrera@proton.me" -> "Owen Herrera": a signature the NER missed is still found."""
    match = _ADDRESS_NAME.match(address)
    return f"{match[1].capitalize()} {match[2].capitalize()}" if match else None


def _text_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class DropScrubber:
    """Scrubs one drop into the `scrubbed` schema; see the module docstring for the passes."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        config: ScrubberConfig,
        key: bytes,
        workers: int = 2,
        manifest: Path | None = None,
    ):
        self.conn = conn
        self.config = config
        self.key = key
        self.workers = workers
        self.manifest = manifest
        self.pseudonymizer = Pseudonymizer(key)
        self.report = ScrubReport()
        self.findings: dict[str, list[Finding]] = {}
        self.names: dict[str, Counter] = defaultdict(Counter)
        self.llm_annotators: set[str] = set()

    # -- setup ----------------------------------------------------------------------------------

    def prepare(self) -> None:
        self.conn.execute(f"create schema if not exists {SCHEMA}")
        self.conn.execute("create schema if not exists private")
        for table in TABLES.values():
            self.conn.execute(table.ddl(SCHEMA))
        for ddl in (PSEUDONYMS_DDL, CACHE_DDL, AUDIT_DDL):
            self.conn.execute(ddl)
        self.llm_annotators = {
            row[0]
            for row in self.conn.execute(
                "select distinct annotator_id from raw.annotators where kind = 'llm'"
            ).fetchall()
        }

    def _route(self, language: str | None) -> Route | None:
        """How a text is analyzed; None when the non-English policy removes it."""
        if is_english(language) or self.config.non_english_policy == "full":
            return "full"
        return "patterns" if self.config.non_english_policy == "patterns" else None

    def _text_key(self, route: str, text: str) -> str:
        return keyed_hash(self.key, "scrub-cache", self.config.version, route, text)

    def _rows(self, table: Table, drop_id: str) -> Iterator[dict[str, Any]]:
        cursor = self.conn.cursor()
        try:
            cursor.execute(_select(table), [drop_id])
            names = [d[0] for d in cursor.description]
            while rows := cursor.fetchmany(BATCH_ROWS):
                for row in rows:
                    yield dict(zip(names, row, strict=True))
        finally:
            cursor.close()

    # -- pass 1: find ---------------------------------------------------------------------------

    def find(self, drop_id: str) -> None:
        """Findings for every text of the drop, from the cache or the detector."""
        todo: dict[str, tuple[str, Route]] = {}
        for table in TABLES.values():
            for row in self._rows(table, drop_id):
                route = self._route(row["_language"])
                for column in table.text_columns:
                    for text in _text_values(row[column]):
                        self.report.texts += 1
                        if route is not None:
                            todo.setdefault(self._text_key(route, text), (text, route))
        self._load_cached(list(todo))
        missing = [key for key in todo if key not in self.findings]
        self.report.cache_hits = len(todo) - len(missing)
        self.report.texts_analyzed = len(missing)
        new = dict(zip(missing, detect_parallel(self.config, (todo[k] for k in missing),
                                                workers=self.workers), strict=True))
        self.findings.update(new)
        self._save_cached(new)
        self._gather_names(drop_id)

    def _load_cached(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 10_000):
            rows = self.conn.execute(
                "select text_key, findings from private.scrub_cache "
                "where text_key in (select unnest(?::VARCHAR[]))",
                [keys[start : start + 10_000]],
            ).fetchall()
            for text_key, findings in rows:
                self.findings[text_key] = [Finding(*f) for f in json.loads(findings)]

    def _save_cached(self, new: dict[str, list[Finding]]) -> None:
        """Cache entries are a pure function of the text: kept even if the drop fails later."""
        if not new:
            return
        frame = pa.table({
            "text_key": list(new),
            "findings": [
                json.dumps([[f.start, f.end, f.entity_type, f.score] for f in found])
                for found in new.values()
            ],
        })
        self.conn.register("new_cache_entries", frame)
        try:
            self.conn.execute(
                "insert into private.scrub_cache select text_key, findings::JSON "
                "from new_cache_entries on conflict do nothing"
            )
        finally:
            self.conn.unregister("new_cache_entries")

    def _gather_names(self, drop_id: str) -> None:
        """The names found in each scope, so a mention the NER missed is replaced too.

        They stay in this process's memory and are never written anywhere.
        """
        for table in TABLES.values():
            if not table.text_columns:
                continue
            for row in self._rows(table, drop_id):
                route = self._route(row["_language"])
                if route is None:
                    continue
                for column in table.text_columns:
                    for text in _text_values(row[column]):
                        for f in self.findings[self._text_key(route, text)]:
                            if f.entity_type == "PERSON":
                                self.names[row["_scope"]][text[f.start : f.end]] += 1
                            elif f.entity_type == "EMAIL_ADDRESS":
                                name = name_in_address(text[f.start : f.end])
                                if name:
                                    self.names[row["_scope"]][name] += 1

    # -- pass 2: write --------------------------------------------------------------------------

    def write(self, drop_id: str) -> ScrubReport:
        """Replace the drop's scrubbed rows in one transaction, committed only if no leak is left.
        """
        self.conn.execute("begin transaction")
        try:
            self._number_full_names_first()
            for table in TABLES.values():
                self.conn.execute(f"delete from {SCHEMA}.{table.name} where _drop_id = ?",
                                  [drop_id])
                self._write_table(table, drop_id)
            self.conn.execute("delete from private.pii_audit where _drop_id = ?", [drop_id])
            audit_rows = [(drop_id, *k, n) for k, n in sorted(self.report.findings.items())]
            if audit_rows:
                self.conn.executemany(
                    "insert into private.pii_audit values (?, ?, ?, ?, ?, ?, ?)", audit_rows
                )
            self.report.new_pseudonyms = self.pseudonymizer.save(self.conn)
            self.report.leaks = self._scan(drop_id)
            if self.report.leaks:
                raise LeakFound(self.report)
            self.conn.execute("commit")
        except BaseException:
            self.conn.execute("rollback")
            raise
        return self.report

    def _number_full_names_first(self) -> None:
        """Number full names before lone first or last names, so "Maria" joins "Maria Lopez"."""
        for scope in sorted(self.names):
            self.pseudonymizer.load(self.conn, {scope})
            names = self.names[scope]
            for name in sorted(names, key=lambda n: (-len(n.split()), -names[n], n)):
                self.pseudonymizer.number(scope, "PERSON", name)

    def _name_pattern(self, scope: str) -> re.Pattern[str] | None:
        names = {n for n in self.names.get(scope, ()) if len(n) > 2}
        names |= {part for n in list(names) for part in n.split()
                  if len(part) > 2 and part[0].isupper()}
        if not names:
            return None
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        # Word edges are Latin letters only: a name written against CJK text ("我叫Priya") counts.
        return re.compile(rf"(?<![{LATIN}\d_@<])(?:{alternatives})(?![{LATIN}\d_>])")

    def _write_table(self, table: Table, drop_id: str) -> None:
        patterns: dict[str, re.Pattern[str] | None] = {}
        batch: list[dict[str, Any]] = []
        for row in self._rows(table, drop_id):
            scope = row["_scope"]
            if scope not in patterns:
                self.pseudonymizer.load(self.conn, {scope})
                patterns[scope] = self._name_pattern(scope)
            route = self._route(row["_language"])
            language_group = "english" if is_english(row["_language"]) else "non_english"
            for column in table.text_columns:
                row[column] = self._scrub_value(
                    table, column, row, scope, route, patterns[scope], language_group
                )
            self._scrub_identifiers(table, row)
            batch.append({c: row[c] for c in table.all_columns})
            if len(batch) >= BATCH_ROWS:
                self._insert(table, batch)
                batch = []
        if batch:
            self._insert(table, batch)

    def _scrub_value(self, table: Table, column: str, row: dict, scope: str, route: Route | None,
                     names: re.Pattern[str] | None, language_group: str) -> Any:
        value = row[column]
        if value is None:
            return None
        texts = _text_values(value)
        if language_group == "non_english" and texts:
            self.report.non_english_texts[table.name] += len(texts)
        scrubbed = []
        for text in texts:
            if route is None:
                scrubbed.append(REMOVED_TEXT)
                continue
            found = self.findings[self._text_key(route, text)]
            if names is not None:
                found = self._with_names(text, found, names)
            for f in found:
                self.report.findings[
                    (table.name, column, row["_source"], language_group, f.entity_type)
                ] += 1
            scrubbed.append(self.pseudonymizer.replace(text, scope, found))
        return scrubbed if isinstance(value, list) else scrubbed[0]

    def _with_names(self, text: str, found: list[Finding], names: re.Pattern[str]
                    ) -> list[Finding]:
        extra = [
            Finding(m.start(), m.end(), "PERSON", 0.85)
            for m in names.finditer(text)
            if not any(f.start < m.end() and m.start() < f.end for f in found)
        ]
        self.report.propagated_names += len(extra)
        return sorted(found + extra) if extra else found

    def _scrub_identifiers(self, table: Table, row: dict) -> None:
        for column in table.identifier_columns:
            value = row[column]
            if value is None:
                continue
            if column in NULLED_IDENTIFIERS:
                row[column] = None
            elif column == "annotator_id" and (
                value in self.llm_annotators or row.get("kind") == "llm"
            ):
                continue
            elif column in IDENTIFIER_PREFIXES:
                row[column] = hash_identifier(self.key, column, value)

    def _insert(self, table: Table, batch: list[dict[str, Any]]) -> None:
        self.report.rows[table.name] += len(batch)
        if table.name not in self.report.previews and table.text_columns:
            self.report.previews[table.name] = [
                {c: batch[i][c] for c in (*table.key, *table.text_columns)}
                for i in range(min(3, len(batch)))
            ]
        columns = table.all_columns
        frame = pa.Table.from_pylist(batch)
        self.conn.register("scrubbed_batch", frame)
        try:
            self.conn.execute(
                f"insert into {SCHEMA}.{table.name} ({', '.join(columns)}) "
                f"select {', '.join(columns)} from scrubbed_batch"
            )
        finally:
            self.conn.unregister("scrubbed_batch")

    # -- the leak scan --------------------------------------------------------------------------

    def scrubbed_key(self, table_name: str, raw_key: dict[str, Any]) -> dict[str, Any]:
        """A raw row key as it reads in the scrubbed table (identifier columns hashed)."""
        table = TABLES[table_name]
        row = dict(raw_key)
        self._scrub_identifiers(Table(table.name, table.columns, table.key,
                                      identifier_columns=tuple(
                                          c for c in table.identifier_columns if c in row)), row)
        return row

    def _scan(self, drop_id: str) -> list[Leak]:
        leaks = scan_tables(self.conn, SCHEMA, drop_id)
        if self.manifest is not None and self.manifest.exists():
            leaks += scan_manifest(self.conn, SCHEMA, self.manifest, self.scrubbed_key)
        return leaks


def scrub_drop(
    conn: duckdb.DuckDBPyConnection,
    drop_id: str,
    config: ScrubberConfig,
    key: bytes,
    workers: int = 2,
    manifest: Path | None = None,
) -> ScrubReport:
    """Scrub one drop of the `raw` schema into `scrubbed`; raises LeakFound if the scan fails."""
    scrubber = DropScrubber(conn, config, key, workers=workers, manifest=manifest)
    scrubber.prepare()
    scrubber.find(drop_id)
    return scrubber.write(drop_id)
