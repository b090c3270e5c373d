"""Scrub one drop: `raw` tables in, `scrubbed` tables out, with counts of what was found.

`DropScrubber` orchestrates its collaborators in two passes over the drop's rows, both streamed
from DuckDB batch by batch (`drop_rows`), so that memory does not grow with the drop:

1. find: each batch's texts are looked up in the cache (`scrub_cache`); texts never seen go to the
   detector's workers (`detection_cluster`: a Dask cluster, local or remote) and their findings
   to the cache at once. The names found are gathered per scope (`numbering`). Both passes report
   their progress (`progress`): rows done, in all and per second.
2. write: names are numbered (full names first), then each batch is scrubbed (numbered
   placeholders, names found elsewhere in the same scope replaced too, identifier columns hashed,
   reduced or dropped by `identifier_hashing`, timestamps truncated to
   `settings.timestamp_precision()`) and appended to the staging database (`staging`), committed
   batch by batch.

The residual-leak scan (`audit`) reads the staging tables. Only when it finds nothing does one
short transaction replace the drop's rows in `scrubbed` (and the rows of earlier-delivered drops
whose key this drop delivers again; a later-delivered drop's row stays), write the drop's audit
(`pii_audit`) and record the new pseudonym numbers.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipelines import settings
from pipelines.contract.tables import TABLES, Table
from pipelines.privacy.audit import Leak, scan_staged
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.detection_cluster import DetectionCluster as Detection
from pipelines.privacy.detection_cluster import DetectorWorkerError
from pipelines.privacy.drop_rows import Batch, batches, scrubbed_frame
from pipelines.privacy.findings import Finding, Route, is_english
from pipelines.privacy.identifier_hashing import IdentifierHasher
from pipelines.privacy.numbering import PlaceholderNumbering
from pipelines.privacy.pii_audit import create_audit, record_audit
from pipelines.privacy.progress import Progress
from pipelines.privacy.pseudonymizer import PSEUDONYMS_DDL, Pseudonymizer
from pipelines.privacy.scrub_cache import ScrubCache
from pipelines.privacy.scrub_errors import ScrubRecordError, failed_record
from pipelines.privacy.staging import SCHEMA, STAGED_PSEUDONYMS, STAGING, Staging

REMOVED_TEXT = "<NON_ENGLISH_TEXT_REMOVED>"

__all__ = ["DropScrubber", "LeakFound", "ScrubRecordError", "ScrubReport", "scrub_drop"]


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
    rows_per_s: dict[str, float] = field(default_factory=dict)
    """Pass ("find", "write") -> the drop's rows it read per second."""

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


class DropScrubber:
    """Scrubs one drop into the `scrubbed` schema; see the module docstring for the passes.

    `planted`: values a ground-truth manifest says were planted in the drop (its `entities`),
    handed over by the caller; the leak scan looks for each of them too."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        config: ScrubberConfig,
        key: bytes,
        workers: int = 0,
        planted: Iterable[dict] | None = None,
        progress: Callable[[str], None] | None = None,
        timestamp_precision: str | None = None,
        cluster: str | None = None,
    ):
        self.conn = conn
        self.detection = functools.partial(
            Detection,
            config,
            workers,
            cluster,
            in_process_chars=settings.scrub_in_process_chars(),
        )
        self.timestamp_precision = (
            settings.checked_timestamp_precision(timestamp_precision)
            if timestamp_precision
            else settings.timestamp_precision()
        )
        self.progress = progress or (lambda message: None)
        self.config = config
        self.planted = planted
        self.report = ScrubReport()
        self.pseudonymizer = Pseudonymizer(key)
        self.cache = ScrubCache(conn, key, config.version)
        self.numbering = PlaceholderNumbering(self.pseudonymizer)
        self.hashing = IdentifierHasher(key)
        self.staging = Staging(conn)
        self.scopes: set[str] = set()
        """The scopes of the drop's texts: their numbering is read in one query, not per batch."""

    def prepare(self) -> None:
        self.conn.execute(f"create schema if not exists {SCHEMA}")
        self.conn.execute("create schema if not exists private")
        for table in TABLES.values():
            table.ensure(self.conn, SCHEMA)
        self.conn.execute(PSEUDONYMS_DDL)
        self.cache.create()
        create_audit(self.conn)
        self.staging.clear()
        self.hashing.load_llm_annotators(self.conn)

    def _route(self, language: str | None) -> Route | None:
        """How a text is analyzed; None when the non-English policy removes it."""
        if is_english(language) or self.config.non_english_policy == "full":
            return "full"
        return "patterns" if self.config.non_english_policy == "patterns" else None

    def _batches(self, table: Table, drop_id: str) -> Iterable[Batch]:
        return batches(
            self.conn, table, drop_id, self.timestamp_precision, self._route, self.cache.text_key
        )

    # -- pass 1: find ---------------------------------------------------------------------------

    def find(self, drop_id: str) -> None:
        """Findings for every text of the drop in the cache (detected where missing), and names."""
        tables = [table for table in TABLES.values() if table.text_columns]
        rows = Progress.of_drop(self.conn, "finding", drop_id, tables, self.progress)
        with self.detection() as detector:
            for table in tables:
                for batch in rows.over(self._batches(table, drop_id)):
                    self._find_batch(detector, table, batch, drop_id)
                self.progress(
                    f"found: {table.name} done; {self.report.texts} texts so far, "
                    f"{self.report.texts_analyzed} analyzed, "
                    f"{self.report.cache_hits} from the cache"
                )
        self.report.rows_per_s["find"] = rows.finish()

    def _find_batch(self, detector: Detection, table: Table, batch: Batch, drop_id: str) -> None:
        texts = batch.texts
        self.scopes.update(batch.scopes)
        self.report.texts += len(texts)
        wanted = {key: (text, batch.routes[i]) for i, _, text, key in texts if key is not None}
        findings = self.cache.lookup(list(wanted))
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
                raise failed_record(
                    self.config, self.hashing, table, batch, set(missing), error
                ) from error
            new = dict(zip(missing, detected, strict=True))
            self.cache.save(new)
            findings.update(new)
        for i, _, text, key in texts:
            if key is not None:
                self.numbering.gather(batch.scopes[i], text, findings[key])

    # -- pass 2: write --------------------------------------------------------------------------

    def write(self, drop_id: str) -> ScrubReport:
        """Scrub the drop into the staging database, scan it, and swap it in if no leak is left."""
        self.staging.open()
        try:
            self.numbering.number_full_names_first(self.conn, self.scopes)
            self.report.new_pseudonyms += self.pseudonymizer.save(self.conn, STAGED_PSEUDONYMS)
            rows = Progress.of_drop(self.conn, "staging", drop_id, TABLES.values(), self.progress)
            for table in TABLES.values():
                self._write_table(table, drop_id, rows)
                self.progress(f"staged: {table.name}, {self.report.rows[table.name]} rows")
            self.report.rows_per_s["write"] = rows.finish()
            self.report.leaks = self._scan(drop_id)
            if self.report.leaks:
                raise LeakFound(self.report)
            self._swap_in(drop_id)
        finally:
            self.staging.clear()
        return self.report

    def _write_table(self, table: Table, drop_id: str, rows: Progress) -> None:
        for batch in rows.over(self._batches(table, drop_id)):
            findings = self.cache.lookup(list({key for *_, key in batch.texts if key is not None}))
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
                    self.hashing.scrub(column, value, kind)
                    for value, kind in zip(
                        batch.arrow.column(column).to_pylist(), kinds, strict=True
                    )
                ]
            frame = scrubbed_frame(table, batch.arrow, columns)
            self.report.rows[table.name] += frame.num_rows
            if table.name not in self.report.previews and table.text_columns:
                self.report.previews[table.name] = (
                    frame.slice(0, 3).select([*table.key, *table.text_columns]).to_pylist()
                )
            self.staging.insert(table, frame)
            self.report.new_pseudonyms += self.pseudonymizer.save(self.conn, STAGED_PSEUDONYMS)

    def _scrub_text(
        self,
        table: Table,
        column: str,
        batch: Batch,
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
        replaced, entity_types, propagated = self.numbering.scrubbed(
            text, scope, key, findings[key]
        )
        self.report.propagated_names += propagated
        for entity_type in entity_types:
            self.report.findings[
                (table.name, column, batch.sources[i], language_group, entity_type)
            ] += 1
        return replaced

    def _scan(self, drop_id: str) -> list[Leak]:
        """The staged rows are the drop's, exactly: they are scanned before anything is swapped."""
        return scan_staged(self.conn, STAGING, self.hashing.scrubbed_key, self.planted)

    def _swap_in(self, drop_id: str) -> None:
        left = self.staging.swap_in(
            drop_id,
            lambda: record_audit(self.conn, drop_id, self.report.findings),
            self.progress,
        )
        self.report.rows_left_to_later_drops.update(left)


def scrub_drop(
    conn: duckdb.DuckDBPyConnection,
    drop_id: str,
    config: ScrubberConfig,
    key: bytes,
    workers: int = 0,
    planted: Iterable[dict] | None = None,
    progress: Callable[[str], None] | None = None,
    timestamp_precision: str | None = None,
    cluster: str | None = None,
) -> ScrubReport:
    """Scrub one drop of the `raw` schema into `scrubbed`; raises LeakFound if the scan fails.

    `planted`: the values a ground-truth manifest lists for the drop, if the caller has one.
    `progress` receives a line (counts only, never text) as each table is done in each pass, and
    the rows done, in all and per second at most every 15 s. Detection runs on the Dask scheduler
    at `cluster`, or on a local cluster of `workers` processes (0: one per core; 1: this process).
    Timestamps keep `timestamp_precision` (default: `settings.timestamp_precision()`).
    """
    scrubber = DropScrubber(
        conn,
        config,
        key,
        workers=workers,
        planted=planted,
        progress=progress,
        timestamp_precision=timestamp_precision,
        cluster=cluster,
    )
    scrubber.prepare()
    scrubber.find(drop_id)
    return scrubber.write(drop_id)
