"""Write a contract drop folder record by record, validating each record as ingest will.

Every source unit (a line, or one judgment inside a line) ends either written or in the adapter
quarantine (`adapter_quarantine.jsonl`) with its source file, line, item and reason, so that for
every source file `units in = units written + units quarantined`. Quarantine rows never carry a
value from the source: only positions, field names and reasons.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from pipelines import settings
from pipelines.contract.models import DropManifest
from pipelines.contract.tables import RAW_FILES, TABLES
from pipelines.privacy.keyed_hash import keyed_hash

QUARANTINE_FILE = "adapter_quarantine.jsonl"
REPORT_FILE = "adapter_report.json"
"""Stands for a model name the export does not record (the extractor, a checklist generator)."""

Record = tuple[str, dict[str, Any]]
PROGRESS_SECONDS = 10.0
"""How often a source still being read gets a progress line."""
_PROGRESS_CHECK_UNITS = 1000


class AdapterError(Exception):
    """A source cannot be adapted at all (unreadable, unknown format); the message names it."""


def pseudonym(value: str) -> str:
    """A short keyed hash that stands for a person's name or ID in file labels, logs and reports."""
    return keyed_hash(settings.hash_key(), value)[:10]


def keyed_id(prefix: str, *parts: str) -> str:
    """A stable id from natural-key parts; keyed, so it cannot be linked back to a WildChat IP."""
    # 20 hex digits: 24 is the shape of a crowd-platform ID, which the leak checks look for.
    return f"{prefix}_{keyed_hash(settings.hash_key(), *parts)[:20]}"


@dataclass
class SourceCounts:
    """What became of one source file's units."""

    label: str
    unit: str
    units_in: int = 0
    written: int = 0
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.label,
            "unit": self.unit,
            "units_in": self.units_in,
            "written": self.written,
            "quarantined": self.quarantined,
            "reasons": dict(self.reasons),
        }


def _rate(units: int, seconds: float) -> str:
    """Units per second, over a time long enough to say it."""
    return f", {units / seconds:,.0f} units/s" if seconds >= 0.1 else ""


def describe(error: ValidationError) -> tuple[str, str]:
    """(field, reason) of a validation error, without the input (it may be personal)."""
    first = error.errors(include_url=False, include_input=False)[0]
    location = ".".join(str(part) for part in first["loc"]) or "(record)"
    more = error.error_count() - 1
    return location, first["msg"] + (f" (and {more} more)" if more else "")


class DropWriter:
    """One JSONL file per contract export, opened when first written, plus the quarantine file.

    A key already written is not written again: the same content is merged, different content
    quarantines the later unit (first written wins, and the order of sources says which is first).
    """

    def __init__(
        self,
        folder: Path,
        defaults: dict[str, dict[str, Any]] | None = None,
        progress: Callable[[str], None] | None = None,
    ):
        self.folder = Path(folder)
        if self.folder.exists() and any(self.folder.iterdir()):
            raise AdapterError(f"{self.folder}: the output drop folder exists and is not empty")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.defaults = defaults or {}
        self.handles: dict[str, IO[str]] = {}
        self.keys: dict[str, dict[tuple, tuple[str, str, int]]] = {s: {} for s in RAW_FILES}
        self.records_out: Counter[str] = Counter()
        self.sources: list[SourceCounts] = []
        self.lookups: dict[str, str] = {}
        self.not_read: dict[str, str] = {}
        self.quarantine = (self.folder / QUARANTINE_FILE).open("w", encoding="utf-8")
        self.progress = progress
        self.finished_sources: set[int] = set()
        self.started = time.monotonic()
        self._last_line = self.started
        self._units_since_check = 0

    def source(self, label: str, unit: str) -> SourceCounts:
        counts = SourceCounts(label, unit)
        self.sources.append(counts)
        return counts

    def finished(self, counts: SourceCounts) -> None:
        """One progress line for a source file read to its end: its units, time and rate, and
        how many files are done."""
        if id(counts) in self.finished_sources:
            return
        self.finished_sources.add(id(counts))
        if self.progress is None:
            return
        seconds = time.monotonic() - counts.started
        self.progress(
            f"read {counts.label}: {counts.units_in} units ({counts.quarantined} quarantined) "
            f"in {seconds:.1f} s{_rate(counts.units_in, seconds)}; "
            f"{len(self.finished_sources)} files done, {time.monotonic() - self.started:.0f} s"
        )
        self._last_line = time.monotonic()

    def accounted(self, counts: SourceCounts) -> None:
        """Count in one unit written as part of another unit's record (one side of a pair, an
        evidence pointer attached to its attribute)."""
        counts.units_in += 1
        counts.written += 1
        self._tick(counts)

    def _tick(self, counts: SourceCounts) -> None:
        """A progress line at most every PROGRESS_SECONDS while a long source is read."""
        self._units_since_check += 1
        if self.progress is None or self._units_since_check < _PROGRESS_CHECK_UNITS:
            return
        self._units_since_check = 0
        now = time.monotonic()
        if now - self._last_line >= PROGRESS_SECONDS:
            self._last_line = now
            seconds = now - counts.started
            self.progress(
                f"reading {counts.label}: {counts.units_in} units so far"
                f"{_rate(counts.units_in, seconds)}"
            )

    def existing(self, stem: str, record: dict[str, Any]) -> dict[str, Any] | None:
        """The content already written under this record's key, if any."""
        found = self.keys[stem].get(self._key(stem, record))
        return json.loads(found[0]) if found else None

    def _key(self, stem: str, record: dict[str, Any]) -> tuple:
        return tuple(record.get(column) for column in TABLES[RAW_FILES[stem].tables[0]].key)

    def unit(
        self,
        counts: SourceCounts,
        line: int,
        item: str,
        records: list[Record],
        references: list[Record] = (),
    ) -> bool:
        """Write one source unit: all its records, or none of them and a quarantine row.

        `records` must be new or identical to what is already written under their key;
        `references` (a prompt, an annotator, a bare attribute) are written only if their key is
        new.
        """
        counts.units_in += 1
        self._tick(counts)
        lines: list[tuple[str, tuple, str, bool]] = []
        for strict, stem, record in [
            *((True, s, r) for s, r in records),
            *((False, s, r) for s, r in references),
        ]:
            record = {**self.defaults.get(stem, {}), **record}
            text = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
            try:
                RAW_FILES[stem].model.model_validate_json(text)
            except ValidationError as error:
                where, reason = describe(error)
                return self.reject(counts, line, item, stem, where, reason)
            lines.append((stem, self._key(stem, record), text, strict))
        for stem, key, text, strict in lines:
            seen = self.keys[stem].get(key)
            if seen and strict and seen[0] != text:
                return self.reject(
                    counts,
                    line,
                    item,
                    stem,
                    "(record)",
                    f"differs from the {stem} record with the same key "
                    f"from {seen[1]} line {seen[2]}",
                )
        for stem, key, text, _ in lines:
            if key not in self.keys[stem]:
                self.keys[stem][key] = (text, counts.label, line)
                self._handle(stem).write(text + "\n")
                self.records_out[stem] += 1
        counts.written += 1
        return True

    def reject(
        self, counts: SourceCounts, line: int, item: str, stem: str | None, where: str, reason: str
    ) -> bool:
        """Quarantine one unit (counting it in if `unit` did not already)."""
        if counts.units_in == counts.written + counts.quarantined:
            counts.units_in += 1
            self._tick(counts)
        counts.quarantined += 1
        counts.reasons[f"{stem or '-'}.{where}: {reason}"] += 1
        row = {
            "source": counts.label,
            "line": line,
            "item": item,
            "stem": stem,
            "field": where,
            "reason": reason,
        }
        self.quarantine.write(json.dumps(row, ensure_ascii=False) + "\n")
        return False

    def _handle(self, stem: str) -> IO[str]:
        if stem not in self.handles:
            self.handles[stem] = (self.folder / f"{stem}.jsonl").open("w", encoding="utf-8")
        return self.handles[stem]

    def close(self, description: str) -> dict[str, Any]:
        """Close the files, write manifest.json and adapter_report.json; returns the report."""
        for counts in self.sources:
            self.finished(counts)
        for handle in self.handles.values():
            handle.close()
        self.quarantine.close()
        manifest = DropManifest(
            drop_id=self.folder.name,
            created_at=datetime.now(UTC),
            description=description,
            producer="pipelines.adapters",
        )
        (self.folder / "manifest.json").write_text(manifest.model_dump_json(indent=2) + "\n")
        report = {
            "drop_id": self.folder.name,
            "sources": [c.as_dict() for c in self.sources],
            "records_out": dict(self.records_out),
            "lookups": self.lookups,
            "not_read": self.not_read,
        }
        (self.folder / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n")
        return report
