"""The scrub cache: each text's findings in `private.scrub_cache`, so a text is analyzed once.

A text's key is the first 128 bits of HMAC(configuration version, route, text), as two integers:
a lookup scans the whole cache, and integers scan 7x faster than 64 hexadecimal characters.
Entries are a pure function of the text, so they are kept even when the drop fails later. The
table has no primary key: DuckDB pins a key's index in memory, and at 1.4M entries the index alone
held 159 MB of a 256MB cap.
"""

from __future__ import annotations

import functools
import json

import duckdb
import pyarrow as pa

from pipelines.contract.tables import registered
from pipelines.privacy.findings import Finding, Route
from pipelines.privacy.keyed_hash import keyed_hash
from pipelines.privacy.pseudonymizer import short_key

CACHE_DDL = """
create table if not exists private.scrub_cache (
    key_high UBIGINT NOT NULL,
    key_low UBIGINT NOT NULL,
    findings JSON NOT NULL
)"""
# Findings of the texts seen last, kept in memory: judgments repeat a few texts millions of times,
# and each lookup that misses them scans all of `private.scrub_cache` (17 ms at 1.6M entries).
RECENT_FINDINGS = 50_000
# Cache keys of the texts seen last: keying a text (HMAC-SHA256) costs more than a dict lookup.
RECENT_KEYS = 16_384
LOW_BITS = (1 << 64) - 1


def keep(memory: dict, entries: dict, limit: int) -> None:
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


class ScrubCache:
    """Looks texts' findings up by key and saves new ones; one scrub at a time writes it."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, key: bytes, config_version: str):
        self.conn = conn
        self.key = key
        self.config_version = config_version
        self.recent: dict[int, list[Finding]] = {}
        self.text_key = functools.lru_cache(maxsize=RECENT_KEYS)(self._keyed_text)
        """The cache key of a (route, text), remembered for the texts keyed last."""

    def create(self) -> None:
        self.conn.execute(CACHE_DDL)

    def _keyed_text(self, route: Route, text: str) -> int:
        return short_key(keyed_hash(self.key, "scrub-cache", self.config_version, route, text))

    def lookup(self, keys: list[int]) -> dict[int, list[Finding]]:
        """The cached findings of these keys: from memory when seen lately, else one query."""
        found: dict[int, list[Finding]] = {}
        unknown: list[int] = []
        for key in keys:
            recent = self.recent.get(key)
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
        keep(self.recent, looked_up, RECENT_FINDINGS)
        found.update(looked_up)
        return found

    def save(self, new: dict[int, list[Finding]]) -> None:
        """Store the findings of keys the lookup just missed, and remember them."""
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
        keep(self.recent, new, RECENT_FINDINGS)
