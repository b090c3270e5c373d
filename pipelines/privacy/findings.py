"""A finding (a span of text to scrub and its entity type), and how spans are trimmed, told
from look-alikes and merged: the detector's output, and what the scrub caches and replaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Route = Literal["full", "patterns"]

ENGLISH_NAMES = {"english", "en"}


def is_english(language: str | None) -> bool:
    """WildChat names languages ("English"), other sources use codes ("en", "en-US")."""
    if not language:
        return True
    value = language.strip().lower()
    return value in ENGLISH_NAMES or value.startswith("en-") or value.startswith("en_")


@dataclass(frozen=True, order=True)
class Finding:
    """One span to scrub: character offsets into the text and the entity type."""

    start: int
    end: int
    entity_type: str
    score: float


# Fenced code blocks, closed or running to the end of the text.
CODE_BLOCK = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
# What stands right before a version number that looks like an IP address.
VERSION_PREFIX = re.compile(r"(?:\bv|version\s*|==|>=|<=|~=|@|python\s*)$", re.IGNORECASE)

# Types whose span is trimmed of what the sentence or an assignment put around it.
TRIMMED = {"URL", "EMAIL_ADDRESS"}
# Presidio's e-mail pattern admits quotes and "=" in the local part: `email='bob@x.org`.
EMAIL_LEAD = re.compile(r"^.*[='\"`:(<\[]")


def trim(text: str, start: int, end: int, entity_type: str) -> tuple[int, int]:
    """A URL without the sentence's closing punctuation; an e-mail without an assignment."""
    while end > start and text[end - 1] in ".,;:!?'\")]":
        end -= 1
    if entity_type == "EMAIL_ADDRESS":
        at = text.find("@", start, end)
        lead = EMAIL_LEAD.match(text[start:at]) if at > start else None
        if lead:
            start += lead.end()
    return start, end


def mask_code_blocks(text: str) -> str:
    """The text with fenced code blocks blanked out (same length, so offsets hold)."""
    if "```" not in text:
        return text
    return CODE_BLOCK.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def looks_like_version(text: str, start: int, end: int) -> bool:
    """ "v1.2.3.4", "version 10.0.0.1", "pkg==2.0.1.0", or one piece of a longer dotted number."""
    before = text[max(0, start - 12) : start]
    after = text[end : end + 2]
    return (
        bool(VERSION_PREFIX.search(before))
        or bool(re.match(r"\.\d", after))
        or (before.endswith(".") and before[-2:-1].isdigit())
    )


# When two findings overlap, the more specific type wins (an e-mail over the URL inside it). A
# number introduced as an identifier is one whatever its shape; a phone number is a phone number
# even where a national ID's pattern and checksum happen to fit it too (default 3).
TYPE_PRIORITY = {
    "SECRET": 5,
    "EMAIL_ADDRESS": 4,
    "ID_NUMBER": 3.6,
    "PHONE_NUMBER": 3.5,
    "URL": 1,
    "PERSON": 2,
    "STREET_ADDRESS": 3,
}


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Merge overlapping findings into one span, typed by the most specific member."""
    merged: list[Finding] = []
    for finding in sorted(findings):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            winner = max(
                (last, finding),
                key=lambda f: (TYPE_PRIORITY.get(f.entity_type, 3), f.score, f.end - f.start),
            )
            merged[-1] = Finding(
                last.start,
                max(last.end, finding.end),
                winner.entity_type,
                max(last.score, finding.score),
            )
        else:
            merged.append(finding)
    return merged
