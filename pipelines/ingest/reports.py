"""What ingest says of a drop and of each of its files: lines read, landed and quarantined."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class FileReport:
    file: str
    stem: str
    rows_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    quarantine_reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class DropReport:
    drop_id: str
    files: dict[str, FileReport] = field(default_factory=dict)
    rows_per_table: dict[str, int] = field(default_factory=dict)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    ignored_files: list[str] = field(default_factory=list)
    delivered_at: datetime | None = None
    """The manifest's `created_at`, else when the drop was first ingested (`raw.drops`)."""
    rows_left_to_later_drops: dict[str, int] = field(default_factory=dict)
    """Per table, the drop's rows whose key a drop delivered later holds: that row stays."""
    adapter_quarantined: int = 0
    """Source records an adapter could not turn into the contract (`adapter_quarantine.jsonl`)."""

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files.values())

    @property
    def rows_landed(self) -> int:
        return sum(f.rows_landed for f in self.files.values())
