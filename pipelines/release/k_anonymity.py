"""Re-identification check: how many published users share each user's quasi-identifiers.

The scrub replaces what a user says about their city and employer, but a release keeps columns that
describe a user too: where their conversations come from, the languages they wrote in, how many
conversations they had (and a release may add country and state, which WildChat publishes). A user
alone in their combination of those values is singled out by them. The release keeps real users
(synthetic personas are no one) only in groups of at least k (`PIPELINES_RELEASE_MIN_K`, default 5);
below it, the users are withheld from every per-user config (`PIPELINES_RELEASE_BELOW_K=withhold`,
the default) or the release stops (`fail`). The smallest group is computed again from the staged
files, for the card and for the published-release check.

The users below k are recorded in the warehouse once the marts are built (`record_below_k`, the
Dagster asset withheld_users), and the dbt metric models leave them out: the published `metrics`
config counts exactly the users the per-user configs publish. The release groups the marts again
and stops when the recorded users are not those it withholds (`check_metrics_scope`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import settings
from pipelines.contract.warehouse import registered, relation_exists
from pipelines.quality.outcome import ExpectationOutcome

USER_COLUMN = "user_id"
# The users below k, recorded after the marts are built: the dbt model int_withheld_users reads it
# and the metric models leave those users out, so the published `metrics` config counts exactly
# the users the per-user configs publish.
WITHHELD_TABLE = "release.withheld_users"
# A conversation count is published exactly; grouped here into the bands that are compared.
CONVERSATION_BANDS = (1, 3, 5, 10, 20, 50)
EXPECTATION = "k_anonymity"


# Synthetic personas are no one: they are neither grouped nor withheld.
_PEOPLE = " and u.source_kind is distinct from 'synthetic'"


@dataclass(frozen=True)
class QuasiIdentifier:
    """One published value that describes a user, as one SQL expression per user."""

    name: str
    table: str
    column: str
    expression: str
    """Over the `users` row (`u`), or aggregated over the user's conversations (`c`)."""


def _band_expression(column: str) -> str:
    cases = " ".join(
        f"when {column} < {upper} then '{lower}-{upper - 1}'"
        for lower, upper in zip(CONVERSATION_BANDS, CONVERSATION_BANDS[1:], strict=False)
    )
    return f"case when {column} is null then '' {cases} else '{CONVERSATION_BANDS[-1]}+' end"


def _set_of(column: str) -> str:
    """The distinct values of a conversation column for one user, as one sorted string."""
    value = f"coalesce(cast(c.\"{column}\" as varchar), '')"
    return f"coalesce(string_agg(distinct {value}, ',' order by {value}), '')"


# The quasi-identifiers looked for, in the order the card names them; each counts where its
# column is published.
QUASI_IDENTIFIERS = (
    QuasiIdentifier("country", "users", "country", "coalesce(cast(u.country as varchar), '')"),
    QuasiIdentifier("state", "users", "state", "coalesce(cast(u.state as varchar), '')"),
    QuasiIdentifier("country", "conversations", "country", _set_of("country")),
    QuasiIdentifier("state", "conversations", "state", _set_of("state")),
    QuasiIdentifier("languages", "conversations", "language", _set_of("language")),
    QuasiIdentifier(
        "sources",
        "users",
        "sources",
        "coalesce(array_to_string(list_sort(u.sources), ','), '')",
    ),
    QuasiIdentifier("source kind", "users", "source_kind", "coalesce(u.source_kind, '')"),
    QuasiIdentifier(
        "conversation count band", "users", "n_conversations", _band_expression("u.n_conversations")
    ),
)


@dataclass(frozen=True)
class Assessment:
    """The groups of users sharing every quasi-identifier the release keeps."""

    k: int
    quasi_identifiers: tuple[str, ...]
    users: int
    smallest_group: int | None
    below_k: frozenset[str]
    """Users in groups smaller than k (kept in memory only, never written or logged)."""
    groups_below_k: int

    def message(self) -> str:
        """Counts only: how many users and groups fall below k, and what to do about it."""
        return (
            f"release check {EXPECTATION}: {len(self.below_k)} of {self.users} users are in "
            f"{self.groups_below_k} groups smaller than k={self.k} of the quasi-identifiers the "
            f"release keeps ({', '.join(self.quasi_identifiers)}); the smallest group holds "
            f"{self.smallest_group}. Withhold them (PIPELINES_RELEASE_BELOW_K=withhold) or "
            "change k (PIPELINES_RELEASE_MIN_K); nothing was published."
        )


class ReidentificationRisk(RuntimeError):
    """Users below k and the policy says fail."""


class MetricsScopeMismatch(RuntimeError):
    """The users the metrics leave out are not those the release withholds."""


def kept_quasi_identifiers(
    users_columns: Iterable[str], conversations_columns: Iterable[str]
) -> tuple[QuasiIdentifier, ...]:
    columns = {"users": set(users_columns), "conversations": set(conversations_columns)}
    return tuple(q for q in QUASI_IDENTIFIERS if q.column in columns[q.table])


def user_groups_query(
    users: str,
    users_columns: Iterable[str],
    conversations: str | None,
    conversations_columns: Iterable[str] = (),
) -> tuple[str, tuple[str, ...]]:
    """A query of (user_id, group, group_size) per published user (a group is numbered by its
    values), and the names of the quasi-identifiers used."""
    kept = kept_quasi_identifiers(users_columns, conversations_columns if conversations else ())
    per_user = [q for q in kept if q.table == "users"]
    per_conversations = [q for q in kept if q.table == "conversations"]
    keys = [f"{q.expression} as qi_{i}" for i, q in enumerate(per_user)]
    join = ""
    if per_conversations:
        aggregates = ", ".join(f"{q.expression} as qc_{i}" for i, q in enumerate(per_conversations))
        join = (
            f"left join (select c.{USER_COLUMN}, {aggregates} from {conversations} c "
            f"group by c.{USER_COLUMN}) conv using ({USER_COLUMN})"
        )
        keys += [f"coalesce(conv.qc_{i}, '') as qc_{i}" for i, _ in enumerate(per_conversations)]
    people = _PEOPLE if "source_kind" in set(users_columns) else ""
    names = [f"qi_{i}" for i in range(len(per_user))]
    names += [f"qc_{i}" for i in range(len(per_conversations))]
    partition = f"partition by {', '.join(names)}" if names else ""
    order = f"order by {', '.join(names)}" if names else ""
    query = (
        f"select {USER_COLUMN}, dense_rank() over ({order}) as group_number, "
        f"count(*) over ({partition}) as group_size from ("
        f"select u.{USER_COLUMN}{''.join(', ' + k for k in keys)} from {users} u {join} "
        f"where u.{USER_COLUMN} is not null{people})"
    )
    return query, tuple(dict.fromkeys(q.name for q in kept))


def assess(
    conn: duckdb.DuckDBPyConnection,
    users: str,
    users_columns: Iterable[str],
    conversations: str | None,
    conversations_columns: Iterable[str] = (),
    k: int | None = None,
) -> Assessment:
    """Group the users of `users` (a relation or `read_parquet(...)`) by the quasi-identifiers
    their published columns hold."""
    k = settings.release_min_k() if k is None else k
    query, names = user_groups_query(users, users_columns, conversations, conversations_columns)
    rows = conn.execute(query).fetchall()
    return Assessment(
        k=k,
        quasi_identifiers=names,
        users=len(rows),
        smallest_group=min((size for *_, size in rows), default=None),
        below_k=frozenset(user for user, _, size in rows if size < k),
        groups_below_k=len({group for _, group, size in rows if size < k}),
    )


def _columns(conn: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'main' and table_name = ?",
            [table],
        ).fetchall()
    }


def assess_warehouse(conn: duckdb.DuckDBPyConnection, k: int | None = None) -> Assessment:
    """The users of the warehouse's `users` mart, by the marts' columns the release publishes."""
    conversations = _columns(conn, "conversations")
    return assess(
        conn,
        'main."users"',
        _columns(conn, "users"),
        'main."conversations"' if conversations else None,
        conversations,
        k,
    )


def assess_staged(conn: duckdb.DuckDBPyConnection, staged: Any, k: int | None = None) -> Assessment:
    """The users of a staged release (`datasheet.Staged`: files and columns per config)."""
    if "users" not in staged.files:
        return Assessment(k or settings.release_min_k(), (), 0, None, frozenset(), 0)
    has_conversations = "conversations" in staged.files
    return assess(
        conn,
        staged.source("users"),
        staged.columns["users"],
        staged.source("conversations") if has_conversations else None,
        staged.columns["conversations"] if has_conversations else (),
        k,
    )


def withheld_users(assessment: Assessment, policy: str | None = None) -> frozenset[str]:
    """The users to leave out of the release: those below k when the policy withholds them.
    Raises ReidentificationRisk when users are below k and the policy is to fail."""
    policy = policy or settings.release_below_k()
    if not assessment.below_k:
        return frozenset()
    if policy == "fail":
        raise ReidentificationRisk(assessment.message())
    return assessment.below_k


def record_below_k(conn: duckdb.DuckDBPyConnection, k: int | None = None) -> Assessment:
    """Assess the warehouse's marts and replace WITHHELD_TABLE with the users below k, whatever
    the policy: under `fail` the release publishes nothing, so what the metrics leave out then
    does not matter."""
    assessment = assess_warehouse(conn, k)
    schema = WITHHELD_TABLE.split(".")[0]
    conn.execute(f"create schema if not exists {schema}")
    below_k = pa.table({USER_COLUMN: pa.array(sorted(assessment.below_k), pa.string())})
    with registered(conn, "below_k_users", below_k):
        conn.execute(
            f"create or replace table {WITHHELD_TABLE} as "
            f"select {USER_COLUMN} from below_k_users order by all"
        )
    return assessment


def recorded_below_k(conn: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The users WITHHELD_TABLE holds; none when it does not exist (a warehouse no build wrote)."""
    if not relation_exists(conn, WITHHELD_TABLE):
        return frozenset()
    return frozenset(
        user for (user,) in conn.execute(f"select {USER_COLUMN} from {WITHHELD_TABLE}").fetchall()
    )


def check_metrics_scope(conn: duckdb.DuckDBPyConnection, withheld: frozenset[str]) -> None:
    """Raise MetricsScopeMismatch unless the metric models left out exactly `withheld`: the
    recorded users differ when the marts changed, or k did, after the metrics were built."""
    recorded = recorded_below_k(conn)
    if recorded == withheld:
        return
    raise MetricsScopeMismatch(
        f"the release withholds {len(withheld)} users, but the `metrics` mart leaves out the "
        f"{len(recorded)} users of {WITHHELD_TABLE} ({len(withheld - recorded)} not in it, "
        f"{len(recorded - withheld)} no longer withheld): the marts or PIPELINES_RELEASE_MIN_K "
        "changed since the metrics were built. Materialize the asset withheld_users and the dbt "
        "models downstream of it (int_withheld_users+) again; nothing was published."
    )


def summary(assessment: Assessment, withheld: int) -> dict[str, object]:
    """What the card says: k, the quasi-identifiers, the smallest group, the users withheld."""
    return {
        "k": assessment.k,
        "quasi_identifiers": list(assessment.quasi_identifiers),
        "users": assessment.users,
        "smallest_group": assessment.smallest_group,
        "withheld": withheld,
        "policy": settings.release_below_k(),
    }


def _parquet(files: list[Path]) -> str:
    return "read_parquet([" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "])"


def published_outcome(folder: Path, k: int | None = None) -> ExpectationOutcome:
    """The check of a staged or published release folder: its `users` (and `conversations`)
    files grouped again; an error when a group holds fewer than k users."""
    users = sorted((folder / "data" / "users").glob("*.parquet"))
    conversations = sorted((folder / "data" / "conversations").glob("*.parquet"))
    with duckdb.connect(config=settings.duckdb_config()) as conn:
        assessment = (
            assess(
                conn,
                _parquet(users),
                pq.read_schema(users[0]).names if users else (),
                _parquet(conversations) if conversations else None,
                pq.read_schema(conversations[0]).names if conversations else (),
                k,
            )
            if users
            else Assessment(k or settings.release_min_k(), (), 0, None, frozenset(), 0)
        )
    return ExpectationOutcome(
        expectation=EXPECTATION,
        columns=assessment.quasi_identifiers,
        severity="error",
        success=not assessment.below_k,
        observed=(
            assessment.message()
            if assessment.below_k
            else f"{assessment.users} users; the smallest group holds {assessment.smallest_group}"
        ),
        notes=f"every group of users sharing the kept quasi-identifiers holds at least "
        f"k={assessment.k} (PIPELINES_RELEASE_MIN_K)",
    )
