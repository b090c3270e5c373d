"""Which hash key built the warehouse: its fingerprint, recorded by the first scrub, and the
check every run makes against it before it touches a drop.

A module of its own, light to import: `pipelines run` checks the key before it loads the
pipeline, and a run refused here costs no more than this check.
"""

from __future__ import annotations

import functools
import hashlib

import duckdb

from pipelines import settings
from pipelines.contract.warehouse import relation_exists

# The warehouse names the key that built it by a fingerprint: scrypt of a fixed label under the
# key. Every guess at the key costs a scrypt (16 MiB, about 0.1 s), and nothing of the key is kept.
KEY_FINGERPRINT_DDL = "create table if not exists private.hash_key (fingerprint VARCHAR NOT NULL)"
_KEY_FINGERPRINT_LABEL = b"pipelines: fingerprint of the key of private.pseudonyms"


class HashKeyMismatch(ValueError):
    """The warehouse was built with another key than the one this run would hash with."""


@functools.lru_cache(maxsize=4)
def key_fingerprint(key: bytes) -> str:
    """A fingerprint of the key, from which the key cannot be read back or cheaply guessed."""
    return hashlib.scrypt(key, salt=_KEY_FINGERPRINT_LABEL, n=2**14, r=8, p=1).hex()


def check_warehouse_key(conn: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Raise HashKeyMismatch unless the warehouse was built with `key` or records no key yet.

    Keys hashed under two keys never join: one user would become two pseudonyms."""
    recorded = (
        conn.execute("select max(fingerprint) from private.hash_key").fetchone()[0]
        if relation_exists(conn, "private.hash_key")
        else None
    )
    if recorded is None or recorded == key_fingerprint(key):
        return
    if key == settings.development_hash_key():
        problem = (
            "PIPELINES_HASH_KEY is not set, and the warehouse was built with a key: set "
            "PIPELINES_HASH_KEY to that key"
        )
    elif recorded == key_fingerprint(settings.development_hash_key()):
        problem = (
            "the warehouse was built with the development key (PIPELINES_HASH_KEY unset), not "
            "with the key now set: unset PIPELINES_HASH_KEY, or point DUCKDB_PATH at a new "
            "warehouse for this key"
        )
    else:
        problem = (
            "PIPELINES_HASH_KEY is not the key the warehouse was built with: set that key, or "
            "point DUCKDB_PATH at a new warehouse for this one"
        )
    raise HashKeyMismatch(
        f"{problem}. Hashes under two keys never match (one user would become two pseudonyms); "
        "nothing was written."
    )


def claim_warehouse_key(conn: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Check the key (see check_warehouse_key), and record its fingerprint if none is yet: from
    the first scrub on, the warehouse holds data hashed with it."""
    check_warehouse_key(conn, key)
    conn.execute("create schema if not exists private")
    conn.execute(KEY_FINGERPRINT_DDL)
    conn.execute(
        "insert into private.hash_key select ? where not exists (select 1 from private.hash_key)",
        [key_fingerprint(key)],
    )
