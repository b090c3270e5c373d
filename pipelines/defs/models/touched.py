"""Which users a dbt build has to rebuild: those whose scrubbed rows changed since the last build.

The per-user models are dbt incremental models (`delete+insert` by `user_id`, see
`dbt/macros/touched_users.sql`) that rebuild only the users listed in `private.touched_users`.
Before the build, every user's rows in the scrubbed tables are fingerprinted (row count, sum and
xor of the rows' hashes; a row that belongs to a user through a key, e.g. a turn through its
conversation, counts for that user), and compared with the fingerprints the last successful build
stored. New, changed and vanished users are touched, so a re-delivered drop that moves or removes
rows rebuilds the users on both sides.

The build is a full refresh instead when there is nothing to compare with (first build), when a
table not tied to a user (annotators, prompts) or the dbt project's files changed, or when a full
rebuild is asked for (`settings.full_rebuild()`). The touched list is dropped after the build,
so a `dbt build` run by hand, without it, rebuilds every user.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.contract.warehouse import relation_exists

TOUCHED = "private.touched_users"
FINGERPRINTS = "private.model_user_fingerprints"
STATE = "private.model_state"
SHARED_TABLES = ("annotators", "prompts")
USER_TABLES = (
    "conversations",
    "turns",
    "attributes",
    "stage1_judgments",
    "stage1_reviews",
    "stage2_judgments",
    "stage3_items",
    "stage3_ratings",
    "expected_behaviors",
)

# Every scrubbed row of a user, with the user it belongs to: directly, or through the
# conversation, attribute or stage-3 item it refers to. A stage-2 judgment counts for the user it
# names and for its attribute's owner (the models take the latter).
_USER_ROWS = """
with
conv as (select conversation_id, user_id, hash(c) as h from scrubbed.conversations c),
attr as (select attribute_id, user_id, hash(a) as h from scrubbed.attributes a),
items as (select item_id, user_id, hash(i) as h from scrubbed.stage3_items i),
user_rows as (
    select user_id, h from conv
    union all select conv.user_id, hash(t) from scrubbed.turns t join conv using (conversation_id)
    union all select user_id, h from attr
    union all
    select attr.user_id, hash(j) from scrubbed.stage1_judgments j join attr using (attribute_id)
    union all select user_id, hash(r) from scrubbed.stage1_reviews r
    union all select user_id, hash(j) from scrubbed.stage2_judgments j
    union all
    select attr.user_id, hash(j) from scrubbed.stage2_judgments j join attr using (attribute_id)
    union all select user_id, h from items
    union all
    select items.user_id, hash(r) from scrubbed.stage3_ratings r join items using (item_id)
    union all select user_id, hash(e) from scrubbed.expected_behaviors e
)
select user_id, count(*) as n, sum(h)::varchar as total, bit_xor(h) as x
from user_rows
where user_id is not null
group by user_id
"""


@dataclass(frozen=True)
class BuildScope:
    full_refresh: bool
    reason: str
    touched: int


def _state(conn: duckdb.DuckDBPyConnection, project: str) -> dict[str, str]:
    state = {"project": project}
    for table in SHARED_TABLES:
        if relation_exists(conn, f"scrubbed.{table}"):
            (rows, total, xor) = conn.execute(
                f"select count(*), sum(hash(t))::varchar, bit_xor(hash(t)) from scrubbed.{table} t"
            ).fetchone()
            state[f"table:{table}"] = f"{rows}:{total}:{xor}"
    return state


def project_fingerprint(project_dir: Path, files: list[Path]) -> str:
    """sha256 of the dbt project's `files` (models, macros, vars): a change rebuilds everything."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def prepare(conn: duckdb.DuckDBPyConnection, project: str, full: bool) -> BuildScope:
    """Write `private.touched_users` and the current fingerprints (`..._next`, stored by
    `commit` once the build succeeded); say whether the build must be a full refresh."""
    conn.execute("create schema if not exists private")
    conn.execute(f"drop table if exists {TOUCHED}")
    missing = [t for t in USER_TABLES + SHARED_TABLES if not relation_exists(conn, f"scrubbed.{t}")]
    if missing:
        return BuildScope(True, "no scrubbed " + ", ".join(missing), 0)
    conn.execute(f"create or replace table {FINGERPRINTS}_next as {_USER_ROWS}")
    state = _state(conn, project)
    conn.execute(f"create or replace table {STATE}_next (key varchar, value varchar)")
    conn.executemany(f"insert into {STATE}_next values (?, ?)", list(state.items()))
    reason = "asked for" if full else ""
    if not reason and not (relation_exists(conn, FINGERPRINTS) and relation_exists(conn, STATE)):
        reason = "no earlier build to compare with"
    if not reason:
        stored = dict(conn.execute(f"select key, value from {STATE}").fetchall())
        changed = sorted(
            key for key in set(state) | set(stored) if state.get(key) != stored.get(key)
        )
        if changed:
            reason = "changed: " + ", ".join(changed)
    if reason:
        return BuildScope(True, reason, 0)
    conn.execute(
        f"""
        create table {TOUCHED} as
        select user_id from {FINGERPRINTS}_next new
        full outer join {FINGERPRINTS} old using (user_id)
        where new.n is distinct from old.n or new.total is distinct from old.total
            or new.x is distinct from old.x
        """
    )
    (touched,) = conn.execute(f"select count(*) from {TOUCHED}").fetchone()
    return BuildScope(False, "", touched)


def commit(conn: duckdb.DuckDBPyConnection, succeeded: bool) -> None:
    """After the build: on success the current fingerprints become the stored ones; either way
    the touched list goes, so that nothing but the next prepared build reads it."""
    conn.execute(f"drop table if exists {TOUCHED}")
    for table in (FINGERPRINTS, STATE):
        if succeeded and relation_exists(conn, f"{table}_next"):
            conn.execute(f"drop table if exists {table}")
            conn.execute(f"alter table {table}_next rename to {table.split('.')[1]}")
        else:
            conn.execute(f"drop table if exists {table}_next")
