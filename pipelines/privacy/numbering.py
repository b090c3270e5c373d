"""Placeholder numbering: the names found in each pseudonym scope, numbered full names first, and
each text with its numbered placeholders, names found elsewhere in the same scope replaced too.

The names are kept in this process's memory, never written anywhere; the numbers are the
pseudonymizer's (`private.pseudonyms`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import duckdb

from pipelines.privacy.findings import Finding
from pipelines.privacy.pseudonymizer import Pseudonymizer
from pipelines.privacy.scrub_cache import keep

# Scrubbed texts written last, per scope: a text repeated in a scope is scrubbed once. Fewer than
# findings, as a scrubbed turn can weigh kilobytes.
RECENT_SCRUBBED = 8_192
LATIN = "A-Za-z\u00c0-\u024f"
_ADDRESS_NAME = re.compile(r"^([a-z]{2,})[._-]([a-z]{2,})\d*@", re.IGNORECASE)

Scrubbed = tuple[str, tuple[str, ...], int]
"""A text with its placeholders, the types it replaced, and how many were names found elsewhere
in the scope."""


def name_in_address(address: str) -> str | None:
    """ "owen_herrera@proton.me" -> "Owen Herrera": a signature the NER missed is still found."""
    match = _ADDRESS_NAME.match(address)
    return f"{match[1].capitalize()} {match[2].capitalize()}" if match else None


class PlaceholderNumbering:
    """Numbers a drop's values per scope and writes its texts' placeholders."""

    def __init__(self, pseudonymizer: Pseudonymizer):
        self.pseudonymizer = pseudonymizer
        self.names: dict[str, Counter] = defaultdict(Counter)
        """Scope -> names found in it."""
        self.name_patterns: dict[str, re.Pattern[str] | None] = {}
        self.recent: dict[tuple[str, int], Scrubbed] = {}
        """(scope, text key) -> what `scrubbed` made of it, for the texts written last."""

    def gather(self, scope: str, text: str, findings: list[Finding]) -> None:
        """The names found in each scope, so a mention the NER missed is replaced too."""
        for f in findings:
            if f.entity_type == "PERSON":
                self.names[scope][text[f.start : f.end]] += 1
            elif f.entity_type == "EMAIL_ADDRESS":
                name = name_in_address(text[f.start : f.end])
                if name:
                    self.names[scope][name] += 1

    def number_full_names_first(self, conn: duckdb.DuckDBPyConnection, scopes: set[str]) -> None:
        """Number full names before lone first or last names, so "Maria" joins "Maria Lopez"."""
        # Each query scans all of private.pseudonyms, which grows with every drop.
        self.pseudonymizer.load(conn, scopes | set(self.names))
        for scope in sorted(self.names):
            names = self.names[scope]
            for name in sorted(names, key=lambda n: (-len(n.split()), -names[n], n)):
                self.pseudonymizer.number(scope, "PERSON", name)

    def scrubbed(self, text: str, scope: str, key: int, found: list[Finding]) -> Scrubbed:
        """The same for every occurrence of a text in a scope: a value keeps its number, and the
        scope's names are all known before the first row is written."""
        scrubbed = self.recent.get((scope, key))
        if scrubbed is None:
            scrubbed = self._scrubbed(text, scope, found)
            keep(self.recent, {(scope, key): scrubbed}, RECENT_SCRUBBED)
        return scrubbed

    def _scrubbed(self, text: str, scope: str, found: list[Finding]) -> Scrubbed:
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

    @staticmethod
    def _names_missed(text: str, found: list[Finding], names: re.Pattern[str]) -> list[Finding]:
        return [
            Finding(m.start(), m.end(), "PERSON", 0.85)
            for m in names.finditer(text)
            if not any(f.start < m.end() and m.start() < f.end for f in found)
        ]
