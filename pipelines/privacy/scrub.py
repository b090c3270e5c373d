"""Scrub one drop: `raw` tables in, `scrubbed` tables out, with counts of what was found.

Two passes over the drop's rows, both streamed from DuckDB batch by batch, so that memory does not
grow with the drop:

1. find: each batch's texts are looked up in the cache (`private.scrub_cache`, keyed by a keyed
   hash of configuration version, route and text); texts never seen go to the detector's worker
   processes and their findings to the cache at once. The names found are gathered per scope.
2. write: names are numbered (full names first), then each batch is scrubbed (numbered
   placeholders, names found elsewhere in the same scope replaced too, identifier columns hashed,
   reduced or dropped, timestamps truncated to `settings.timestamp_precision()`) and appended to
   the staging database `scrub_staging`, committed batch by batch. It is a file of its own next
   to the warehouse, attached: DuckDB cannot checkpoint the warehouse while the pass reads it, so
   rows appended there stayed in memory and squeezed the sort of the rows being read until it ran
   out (500k conversations, `stage2_judgments`).

The residual-leak scan reads the staging tables. Only when it finds nothing does one short
transaction replace the drop's rows in `scrubbed` (and the rows of earlier-delivered drops whose
key this drop delivers again; a later-delivered drop's row stays) and record the new pseudonym
numbers. A drop that fails the scan, or a run
killed half-way, leaves `scrubbed` as it was; the next scrub clears the staging database first.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipelines import settings
from pipelines.contract.tables import (
    TABLES,
    Table,
    later_deliveries,
    registered,
    transaction,
)
from pipelines.privacy.audit import Leak, scan_manifest, scan_tables
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.engine import (
    Detector,
    DetectorPool,
    DetectorWorkerError,
    Finding,
    Route,
    is_english,
)
from pipelines.privacy.pseudonymizer import (
    IDENTIFIER_LISTS,
    IDENTIFIER_PREFIXES,
    IDENTIFIERS_IN_OBJECTS,
    NULLED_IDENTIFIERS,
    PSEUDONYMS_DDL,
    Pseudonymizer,
    hash_identifier,
    keyed_hash,
    scrubbed_header,
    short_key,
)

SCHEMA = "scrubbed"
# One scrub at a time writes it: every asset that writes the warehouse is in the pool "duckdb".
STAGING = "scrub_staging"
# Where versions before the staging database staged a drop, left behind by a killed run.
STAGING_SCHEMA_BEFORE = "scrubbed_staging"
# The drop's new pseudonym numbers, moved to private.pseudonyms by the swap.
STAGED_PSEUDONYMS = f"{STAGING}._new_pseudonyms"
REMOVED_TEXT = "<NON_ENGLISH_TEXT_REMOVED>"
# A text's key is the first 128 bits of HMAC(config version, route, text), as two integers: a
# lookup scans the whole cache, and integers scan 7x faster than the 64-character hex of before.
CACHE_DDL = """
create table if not exists private.scrub_cache (
    key_high UBIGINT NOT NULL,
    key_low UBIGINT NOT NULL,
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
BATCH_ROWS = 5000
# Findings of the texts seen last, kept in memory: judgments repeat a few texts millions of times,
# and each lookup that misses them scans all of `private.scrub_cache` (17 ms at 1.6M entries).
RECENT_FINDINGS = 50_000
# Scrubbed texts written last, per scope: a text repeated in a scope is scrubbed once. Fewer than
# findings, as a scrubbed turn can weigh kilobytes.
RECENT_SCRUBBED = 8_192
# Cache keys of the texts seen last: keying a text (HMAC-SHA256) costs more than a dict lookup.
RECENT_KEYS = 16_384
# Keyed hashes of the identifiers seen last: a drop names the same few users and annotators in most
# of its rows, and rows come sorted by key, but record ids (attributes, conversations) are millions
# in a large drop, so the memory is bounded.
RECENT_IDENTIFIERS = 65_536
LATIN = "A-Za-z\u00c0-\u024f"
LOW_BITS = (1 << 64) - 1


def _create_without_primary_key(conn: duckdb.DuckDBPyConnection, name: str, ddl: str) -> None:
    """Create `private.<name>`; rebuild it if an earlier version made it with a primary key.

    Both tables grow with every drop, and DuckDB pins a key's index in memory: at 1.4M cache
    entries the index alone held 159 MB of a 256MB cap and the 500k scrub ran out of memory.
    """
    keyed = conn.execute(
        "select count(*) from duckdb_constraints() where schema_name = 'private' "
        "and table_name = ? and constraint_type = 'PRIMARY KEY'",
        [name],
    ).fetchone()[0]
    if not keyed:
        conn.execute(ddl)
        return
    with transaction(conn):
        conn.execute(f"alter table private.{name} rename to {name}_keyed")
        conn.execute(ddl)
        conn.execute(f"insert into private.{name} select * from private.{name}_keyed")
        conn.execute(f"drop table private.{name}_keyed")


def _cache_keyed_by_integers(conn: duckdb.DuckDBPyConnection) -> None:
    """Convert a cache keyed by hex text (earlier versions) to the integer key, keeping entries."""
    (hex_keyed,) = conn.execute(
        "select count(*) from information_schema.columns where table_schema = 'private' "
        "and table_name = 'scrub_cache' and column_name = 'text_key'"
    ).fetchone()
    if not hex_keyed:
        return
    with transaction(conn):
        conn.execute("alter table private.scrub_cache rename to scrub_cache_hex_keyed")
        conn.execute(CACHE_DDL)
        conn.execute(
            "insert into private.scrub_cache select ('0x' || text_key[1:16])::UBIGINT, "
            "('0x' || text_key[17:32])::UBIGINT, findings from private.scrub_cache_hex_keyed"
        )
        conn.execute("drop table private.scrub_cache_hex_keyed")


def _keep(memory: dict, entries: dict, limit: int) -> None:
    """Add entries to a memory of recent results, forgotten all at once when it reaches `limit`."""
    if len(memory) + len(entries) > limit:
        memory.clear()
    memory.update(entries)


def _key_columns(keys: list[int]) -> pa.Table:
    return pa.table(
        {
            "key_high": pa.array([key >> 64 for key in keys], pa.uint64()),
            "key_low": pa.array([key & LOW_BITS for key in keys], pa.uint64()),
        }
    )


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


# Per table: the SQL that reads a drop's rows with their pseudonym scope, language and source.
# A text belongs to the user it is about when the row names one, directly or through the attribute
# it judges; otherwise to the annotator who wrote it; prompts are global.
def _select(table: Table, timestamp_precision: str) -> str:
    columns = ", ".join(_column(table, c, timestamp_precision) for c in table.all_columns)
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
        # A judgment of an attribute talks about that attribute's user. attribute_id is the key
        # of raw.attributes (ingest keeps keys unique; a blocking check guards it): a plain join,
        # where grouping the attributes first held them twice in memory and ran out at 500k.
        joins = (
            "left join raw.attributes a using (attribute_id) "
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
    rows_left_to_later_drops: Counter = field(default_factory=Counter)
    """table -> the drop's rows whose key a drop delivered later holds in `scrubbed` (it stays)."""
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


class ScrubRecordError(RuntimeError):
    """The detector failed on a record of the drop: named by table, field and scrubbed key (and
    the text's length), never by its text; nothing of the drop was committed."""


_ADDRESS_NAME = re.compile(r"^([a-z]{2,})[._-]([a-z]{2,})\d*@", re.IGNORECASE)


def name_in_address(address: str) -> str | None:
    """ "owen_herrera@proton.me" -> "Owen Herrera": a signature the NER missed is still found."""
    match = _ADDRESS_NAME.match(address)
    return f"{match[1].capitalize()} {match[2].capitalize()}" if match else None


def _text_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class _Batch:
    """One Arrow batch of a drop's rows, with what both passes read of it as Python lists."""

    def __init__(self, scrubber: DropScrubber, table: Table, arrow: pa.RecordBatch):
        self.arrow = arrow
        self.scopes: list[str] = arrow.column("_scope").to_pylist()
        self.languages: list[str | None] = arrow.column("_language").to_pylist()
        self.sources: list[str] = arrow.column("_source").to_pylist()
        self.routes = [scrubber._route(language) for language in self.languages]
        names = [*table.text_columns, *(["kind"] if "kind" in table.columns else [])]
        self.values: dict[str, list[Any]] = {c: arrow.column(c).to_pylist() for c in names}
        self.texts: list[tuple[int, str, str, int | None]] = [
            (i, column, text, None if route is None else scrubber._text_key(route, text))
            for i, route in enumerate(self.routes)
            for column in table.text_columns
            for text in _text_values(self.values[column][i])
        ]
        """(row, column, text, cache key) of every text, row by row; no key when removed."""


class DropScrubber:
    """Scrubs one drop into the `scrubbed` schema; see the module docstring for the passes."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        config: ScrubberConfig,
        key: bytes,
        workers: int = 2,
        manifest: Path | None = None,
        progress: Callable[[str], None] | None = None,
        timestamp_precision: str | None = None,
    ):
        self.conn = conn
        self.timestamp_precision = (
            settings.checked_timestamp_precision(timestamp_precision)
            if timestamp_precision
            else settings.timestamp_precision()
        )
        self.progress = progress or (lambda message: None)
        self.config = config
        self.key = key
        self.workers = workers
        self.manifest = manifest
        self.pseudonymizer = Pseudonymizer(key)
        self.report = ScrubReport()
        self.names: dict[str, Counter] = defaultdict(Counter)
        """Scope -> names found in it: kept in this process's memory, never written anywhere."""
        self.scopes: set[str] = set()
        """The scopes of the drop's texts: their numbering is read in one query, not per batch."""
        self.llm_annotators: set[str] = set()
        self.hashed_identifiers: dict[tuple[str, str], str] = {}
        self.name_patterns: dict[str, re.Pattern[str] | None] = {}
        self.recent_findings: dict[int, list[Finding]] = {}
        self.recent_scrubbed: dict[tuple[str, int], tuple[str, tuple[str, ...], int]] = {}
        """(scope, text key) -> what _scrubbed made of it, for the texts written last."""
        self._text_key = functools.lru_cache(maxsize=RECENT_KEYS)(self._keyed_text)

    # -- setup ----------------------------------------------------------------------------------

    def prepare(self) -> None:
        self.conn.execute(f"create schema if not exists {SCHEMA}")
        self.conn.execute("create schema if not exists private")
        for table in TABLES.values():
            self.conn.execute(table.ddl(SCHEMA))
        _cache_keyed_by_integers(self.conn)
        for name, ddl in (("pseudonyms", PSEUDONYMS_DDL), ("scrub_cache", CACHE_DDL)):
            _create_without_primary_key(self.conn, name, ddl)
        self.conn.execute(AUDIT_DDL)
        self._drop_staging()
        self.llm_annotators = {
            row[0]
            for row in self.conn.execute(
                "select distinct annotator_id from raw.annotators where kind = 'llm'"
            ).fetchall()
        }

    def _staging_path(self) -> Path:
        (path,) = self.conn.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        if path:
            return Path(path).with_suffix(".scrub-staging.duckdb")
        return Path(tempfile.gettempdir()) / f"scrub-staging-{os.getpid()}.duckdb"

    def _drop_staging(self) -> None:
        self.conn.execute(f"drop schema if exists {STAGING_SCHEMA_BEFORE} cascade")
        (attached,) = self.conn.execute(
            "select count(*) from duckdb_databases() where database_name = ?", [STAGING]
        ).fetchone()
        if attached:
            self.conn.execute(f"detach {STAGING}")
        path = self._staging_path()
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)

    def _route(self, language: str | None) -> Route | None:
        """How a text is analyzed; None when the non-English policy removes it."""
        if is_english(language) or self.config.non_english_policy == "full":
            return "full"
        return "patterns" if self.config.non_english_policy == "patterns" else None

    def _keyed_text(self, route: str, text: str) -> int:
        return short_key(keyed_hash(self.key, "scrub-cache", self.config.version, route, text))

    def _batches(self, table: Table, drop_id: str) -> Iterator[_Batch]:
        """The drop's rows as Arrow batches: only text and identifier columns become Python.

        They come sorted by key (placeholders are numbered in that order), on one DuckDB thread:
        rows as wide as their texts made the sort on two threads run out of memory under the 256MB
        cap at 500k conversations (raw.stage2_judgments, 28.8M rows), where one thread spills.
        """
        (threads,) = self.conn.execute("select current_setting('threads')").fetchone()
        self.conn.execute("set threads = 1")
        cursor = self.conn.cursor()
        try:
            cursor.execute(_select(table, self.timestamp_precision), [drop_id])
            for batch in cursor.to_arrow_reader(BATCH_ROWS):
                if batch.num_rows:
                    yield _Batch(self, table, batch)
        finally:
            cursor.close()
            self.conn.execute(f"set threads = {int(threads)}")

    # -- pass 1: find ---------------------------------------------------------------------------

    def find(self, drop_id: str) -> None:
        """Findings for every text of the drop in the cache (detected where missing), and names."""
        with DetectorPool(self.config, self.workers) as detector:
            for table in TABLES.values():
                if not table.text_columns:
                    continue
                for batch in self._batches(table, drop_id):
                    texts = batch.texts
                    self.scopes.update(batch.scopes)
                    self.report.texts += len(texts)
                    wanted = {
                        key: (text, batch.routes[i]) for i, _, text, key in texts if key is not None
                    }
                    findings = self._cached(list(wanted))
                    missing = [key for key in wanted if key not in findings]
                    self.report.cache_hits += len(findings)
                    self.report.texts_analyzed += len(missing)
                    if missing:
                        try:
                            detected = detector.detect([wanted[k] for k in missing])
                        except DetectorWorkerError as error:
                            raise ScrubRecordError(
                                f"{table.name}: {error}; drop {drop_id} was not written"
                            ) from error
                        except Exception as error:
                            raise self._failed_record(table, batch, set(missing), error) from error
                        new = dict(zip(missing, detected, strict=True))
                        self._save_cached(new)
                        _keep(self.recent_findings, new, RECENT_FINDINGS)
                        findings.update(new)
                    for i, _, text, key in texts:
                        if key is not None:
                            self._gather_names(batch.scopes[i], text, findings[key])
                self.progress(
                    f"found: {table.name} done; {self.report.texts} texts so far, "
                    f"{self.report.texts_analyzed} analyzed, "
                    f"{self.report.cache_hits} from the cache"
                )

    def _failed_record(
        self, table: Table, batch: _Batch, missing: set[int], error: Exception
    ) -> ScrubRecordError:
        """The record whose text makes the detector fail: each text of the batch is detected
        alone, in this process, until one fails again."""
        detector = Detector.shared(self.config)
        for i, column, text, key in batch.texts:
            if key not in missing:
                continue
            try:
                detector.detect([text], [batch.routes[i]])
            except Exception as failure:  # the detector's own error, whatever its kind
                raw_key = {name: batch.arrow.column(name)[i].as_py() for name in table.key}
                scrubbed = self.scrubbed_key(table.name, raw_key)
                record = ", ".join(f"{name}={value}" for name, value in scrubbed.items())
                return ScrubRecordError(
                    f"{table.name} [{record}] {column}: the detector failed on this text "
                    f"({len(text):,} characters, {type(failure).__name__}); nothing was written"
                )
        return ScrubRecordError(
            f"{table.name}: the detector failed on a batch ({type(error).__name__}) and on none "
            "of its texts alone; nothing was written"
        )

    def _cached(self, keys: list[int]) -> dict[int, list[Finding]]:
        """The cached findings of these keys: from memory when seen lately, else one query."""
        found: dict[int, list[Finding]] = {}
        unknown: list[int] = []
        for key in keys:
            recent = self.recent_findings.get(key)
            if recent is None:
                unknown.append(key)
            else:
                found[key] = recent
        if not unknown:
            return found
        with registered(self.conn, "wanted_keys", _key_columns(unknown)):
            rows = self.conn.execute(
                "select c.key_high, c.key_low, c.findings from private.scrub_cache c "
                "semi join wanted_keys w on c.key_high = w.key_high and c.key_low = w.key_low"
            ).fetchall()
        looked_up = {
            high << 64 | low: [Finding(*f) for f in json.loads(findings)]
            for high, low, findings in rows
        }
        _keep(self.recent_findings, looked_up, RECENT_FINDINGS)
        found.update(looked_up)
        return found

    def _save_cached(self, new: dict[int, list[Finding]]) -> None:
        """Cache entries are a pure function of the text: kept even if the drop fails later.

        Only keys the lookup just missed come here, and one scrub at a time writes the cache.
        """
        frame = _key_columns(list(new)).append_column(
            "findings",
            pa.array(
                [
                    json.dumps([[f.start, f.end, f.entity_type, f.score] for f in found])
                    for found in new.values()
                ]
            ),
        )
        with registered(self.conn, "new_cache_entries", frame):
            self.conn.execute(
                "insert into private.scrub_cache select key_high, key_low, findings::JSON "
                "from new_cache_entries"
            )

    def _gather_names(self, scope: str, text: str, findings: list[Finding]) -> None:
        """The names found in each scope, so a mention the NER missed is replaced too."""
        for f in findings:
            if f.entity_type == "PERSON":
                self.names[scope][text[f.start : f.end]] += 1
            elif f.entity_type == "EMAIL_ADDRESS":
                name = name_in_address(text[f.start : f.end])
                if name:
                    self.names[scope][name] += 1

    # -- pass 2: write --------------------------------------------------------------------------

    def write(self, drop_id: str) -> ScrubReport:
        """Scrub the drop into the staging database, scan it, and swap it in if no leak is left."""
        path = str(self._staging_path()).replace("'", "''")
        self.conn.execute(f"attach '{path}' as {STAGING}")
        for table in TABLES.values():
            self.conn.execute(table.ddl(STAGING))
        self.conn.execute(
            f"create table {STAGED_PSEUDONYMS} as select * from private.pseudonyms limit 0"
        )
        try:
            self._number_full_names_first()
            self.report.new_pseudonyms += self.pseudonymizer.save(self.conn, STAGED_PSEUDONYMS)
            for table in TABLES.values():
                self._write_table(table, drop_id)
                self.progress(f"staged: {table.name}, {self.report.rows[table.name]} rows")
            self.report.leaks = self._scan(drop_id)
            if self.report.leaks:
                raise LeakFound(self.report)
            self._swap_in(drop_id)
        finally:
            self._drop_staging()
        return self.report

    def _number_full_names_first(self) -> None:
        """Number full names before lone first or last names, so "Maria" joins "Maria Lopez"."""
        # Each query scans all of private.pseudonyms, which grows with every drop.
        self.pseudonymizer.load(self.conn, self.scopes | set(self.names))
        for scope in sorted(self.names):
            names = self.names[scope]
            for name in sorted(names, key=lambda n: (-len(n.split()), -names[n], n)):
                self.pseudonymizer.number(scope, "PERSON", name)

    def _name_pattern(self, scope: str) -> re.Pattern[str] | None:
        if scope in self.name_patterns:
            return self.name_patterns[scope]
        names = {n for n in self.names.get(scope, ()) if len(n) > 2}
        names |= {
            part for n in list(names) for part in n.split() if len(part) > 2 and part[0].isupper()
        }
        pattern = None
        if names:
            alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            # Word edges are Latin letters only: a name written against CJK text ("我叫Priya")
            # counts.
            pattern = re.compile(rf"(?<![{LATIN}\d_@<])(?:{alternatives})(?![{LATIN}\d_>])")
        self.name_patterns[scope] = pattern
        return pattern

    def _write_table(self, table: Table, drop_id: str) -> None:
        for batch in self._batches(table, drop_id):
            findings = self._cached(list({key for *_, key in batch.texts if key is not None}))
            self.pseudonymizer.load(self.conn, set(batch.scopes))
            # Row by row, as the texts come: placeholders are numbered in that order.
            scrubbed: dict[tuple[int, str], list[str]] = defaultdict(list)
            for i, column, text, key in batch.texts:
                scrubbed[(i, column)].append(
                    self._scrub_text(table, column, batch, i, text, key, findings)
                )
            kinds = batch.values.get("kind") or [None] * batch.arrow.num_rows
            columns: dict[str, list[Any]] = {}
            for column in table.text_columns:
                columns[column] = [
                    None
                    if value is None
                    else scrubbed.get((i, column), [])
                    if isinstance(value, list)
                    else scrubbed[(i, column)][0]
                    for i, value in enumerate(batch.values[column])
                ]
            for column in table.identifier_columns:
                columns[column] = [
                    self._scrub_identifier(column, value, kind)
                    for value, kind in zip(
                        batch.arrow.column(column).to_pylist(), kinds, strict=True
                    )
                ]
            self._insert(table, batch.arrow, columns)
            self.report.new_pseudonyms += self.pseudonymizer.save(self.conn, STAGED_PSEUDONYMS)

    def _scrub_text(
        self,
        table: Table,
        column: str,
        batch: _Batch,
        i: int,
        text: str,
        key: int | None,
        findings: dict[int, list[Finding]],
    ) -> str:
        language_group = "english" if is_english(batch.languages[i]) else "non_english"
        if language_group == "non_english":
            self.report.non_english_texts[table.name] += 1
        if key is None:
            return REMOVED_TEXT
        if key not in findings:
            raise RuntimeError(f"private.scrub_cache lost entries while {table.name} was scrubbed")
        scope = batch.scopes[i]
        scrubbed = self.recent_scrubbed.get((scope, key))
        if scrubbed is None:
            scrubbed = self._scrubbed(text, scope, findings[key])
            _keep(self.recent_scrubbed, {(scope, key): scrubbed}, RECENT_SCRUBBED)
        replaced, entity_types, propagated = scrubbed
        self.report.propagated_names += propagated
        for entity_type in entity_types:
            self.report.findings[
                (table.name, column, batch.sources[i], language_group, entity_type)
            ] += 1
        return replaced

    def _scrubbed(
        self, text: str, scope: str, found: list[Finding]
    ) -> tuple[str, tuple[str, ...], int]:
        """The text with its placeholders, the types it replaced, and how many were names found
        elsewhere in the scope. The same for every occurrence of a text in a scope: a value keeps
        its number, and the scope's names are all known before the first row is written."""
        names = self._name_pattern(scope)
        propagated = 0
        if names is not None:
            extra = self._names_missed(text, found, names)
            propagated = len(extra)
            if extra:
                found = sorted(found + extra)
        return (
            self.pseudonymizer.replace(text, scope, found),
            tuple(f.entity_type for f in found),
            propagated,
        )

    @staticmethod
    def _names_missed(text: str, found: list[Finding], names: re.Pattern[str]) -> list[Finding]:
        return [
            Finding(m.start(), m.end(), "PERSON", 0.85)
            for m in names.finditer(text)
            if not any(f.start < m.end() and m.start() < f.end for f in found)
        ]

    def _scrub_identifiers(self, table: Table, row: dict) -> None:
        for column in table.identifier_columns:
            row[column] = self._scrub_identifier(column, row[column], row.get("kind"))

    def _scrub_identifier(self, column: str, value: Any, kind: str | None) -> Any:
        """Hashed, reduced to its non-personal fact (the header), or dropped; an LLM judge's id is
        no person's and stays readable. Ids inside lists and evidence are hashed as their own
        column is, so every join between tables holds."""
        if value is None or column in NULLED_IDENTIFIERS:
            return None
        if column == "header":
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
        hashed = self.hashed_identifiers.get((column, value))
        if hashed is None:
            hashed = hash_identifier(self.key, column, value)
            _keep(self.hashed_identifiers, {(column, value): hashed}, RECENT_IDENTIFIERS)
        return hashed

    def _insert(self, table: Table, batch: pa.RecordBatch, columns: dict[str, list[Any]]) -> None:
        """The batch with its scrubbed columns swapped in, appended to the staging table."""
        frame = pa.Table.from_batches([batch]).select(table.all_columns)
        for name, values in columns.items():
            index = frame.schema.get_field_index(name)
            frame = frame.set_column(index, name, pa.array(values, type=frame.schema[index].type))
        self.report.rows[table.name] += frame.num_rows
        if table.name not in self.report.previews and table.text_columns:
            self.report.previews[table.name] = (
                frame.slice(0, 3).select([*table.key, *table.text_columns]).to_pylist()
            )
        with registered(self.conn, "scrubbed_batch", frame):
            self.conn.execute(
                f"insert into {STAGING}.{table.name} ({', '.join(table.all_columns)}) "
                f"select {', '.join(table.all_columns)} from scrubbed_batch"
            )

    def _swap_in(self, drop_id: str) -> None:
        """One transaction: the staged drop replaces its earlier rows and any key it delivers
        again, except where a drop delivered later holds the key (`raw.drops`), as in `raw`."""
        later = later_deliveries(self.conn, drop_id)
        with transaction(self.conn):
            for table in TABLES.values():
                left_out = table.replace_drop(self.conn, SCHEMA, STAGING, drop_id, later)
                if left_out:
                    self.report.rows_left_to_later_drops[table.name] = left_out
                    self.progress(f"{table.name}: {left_out} rows left to later-delivered drops")
            self.conn.execute("delete from private.pii_audit where _drop_id = ?", [drop_id])
            audit_rows = [(drop_id, *k, n) for k, n in sorted(self.report.findings.items())]
            if audit_rows:
                self.conn.executemany(
                    "insert into private.pii_audit values (?, ?, ?, ?, ?, ?, ?)", audit_rows
                )
            self.conn.execute(f"insert into private.pseudonyms select * from {STAGED_PSEUDONYMS}")

    # -- the leak scan --------------------------------------------------------------------------

    def scrubbed_key(self, table_name: str, raw_key: dict[str, Any]) -> dict[str, Any]:
        """A raw row key as it reads in the scrubbed table (identifier columns hashed)."""
        table = TABLES[table_name]
        row = dict(raw_key)
        self._scrub_identifiers(
            Table(
                table.name,
                table.columns,
                table.key,
                identifier_columns=tuple(c for c in table.identifier_columns if c in row),
            ),
            row,
        )
        return row

    def _scan(self, drop_id: str) -> list[Leak]:
        """The staged rows are the drop's, exactly: they are scanned before anything is swapped."""
        leaks = scan_tables(self.conn, STAGING)
        if self.manifest is not None and self.manifest.exists():
            leaks += scan_manifest(self.conn, STAGING, self.manifest, self.scrubbed_key)
        return leaks


def scrub_drop(
    conn: duckdb.DuckDBPyConnection,
    drop_id: str,
    config: ScrubberConfig,
    key: bytes,
    workers: int = 2,
    manifest: Path | None = None,
    progress: Callable[[str], None] | None = None,
    timestamp_precision: str | None = None,
) -> ScrubReport:
    """Scrub one drop of the `raw` schema into `scrubbed`; raises LeakFound if the scan fails.

    `progress` receives a line (counts only, never text) as each table is done in each pass.
    Timestamps keep `timestamp_precision` (default: `settings.timestamp_precision()`).
    """
    scrubber = DropScrubber(
        conn,
        config,
        key,
        workers=workers,
        manifest=manifest,
        progress=progress,
        timestamp_precision=timestamp_precision,
    )
    scrubber.prepare()
    scrubber.find(drop_id)
    return scrubber.write(drop_id)
