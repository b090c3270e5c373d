"""The project's one keyed hash: HMAC-SHA256 of unit-separated parts.

Every hash that stands for a person or record (pseudonym keys, hashed identifiers, scrub cache
keys, adapter ids, split ranks) goes through it, so its construction is decided in one place.
"""

from __future__ import annotations

import hashlib
import hmac


def keyed_digest(key: bytes, *parts: str) -> bytes:
    """HMAC-SHA256 of the parts joined by the unit separator (one part: the part itself)."""
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).digest()


def keyed_hash(key: bytes, *parts: str) -> str:
    """`keyed_digest`, in hexadecimal."""
    return keyed_digest(key, *parts).hex()
