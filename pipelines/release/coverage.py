"""Why a stage's table or a population of users is empty or smaller than what the drops hold,
counted from the warehouse after the models are built: the run's summary prints these lines and
the card states them (`release.json` keeps them under `coverage`).

Stages: what the drops hold (stage-1 attributes, stage-2 items, stage-3 items and their
ratings), what the release publishes, and why the rest is left out (no judgments in any drop,
users outside the study). Users: per source kind how many pass the study's history rule, how
many each rule excludes, and the users the exports name whose history no drop carries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from pipelines.contract.warehouse import relation_exists
from pipelines.release.datasheet import dbt_vars

RULES = {
    "not_english": "whose conversations are mostly not in English",
    "scripted": "whose conversations come mostly from programmatic clients",
    "few_conversations": "below {min_conversations} conversations",
    "few_turns": "below {min_turns} turns",
}
"""How each exclusion rule of int_user_histories reads in a sentence, with the dbt vars."""


@dataclass(frozen=True)
class Reason:
    """One sentence, and the figures it rests on (for the card's checks)."""

    scope: str
    """`stage 1`, `stage 2`, `stage 3` or `users`."""
    subject: str
    text: str
    figures: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _count(conn: duckdb.DuckDBPyConnection, query: str) -> int:
    return int(conn.execute(query).fetchone()[0] or 0)


def _count_distinct(conn: duckdb.DuckDBPyConnection, columns: str, table: str) -> int:
    """Distinct combinations of columns, counted on one DuckDB thread: on two, the hash aggregate
    of tens of millions of string keys runs out of the 256MB cap, while one thread spills to disk
    (28.8M stage-2 judgments: about 11 s)."""
    (threads,) = conn.execute("select current_setting('threads')").fetchone()
    conn.execute("set threads = 1")
    try:
        return _count(conn, f"select count(*) from (select distinct {columns} from {table})")
    finally:
        conn.execute(f"set threads = {int(threads)}")


def _n(value: int, one: str, many: str | None = None) -> str:
    return f"{value:,} {one if value == 1 else (many or one + 's')}"


def _withheld(in_study: int, published: int) -> str:
    left = in_study - published
    return f"; {left:,} withheld with their users for re-identification risk" if left > 0 else ""


def _stage1(conn: duckdb.DuckDBPyConnection, published: dict[str, int]) -> list[Reason]:
    held = _count(conn, "select count(*) from main.stg_attributes")
    in_study = _count(conn, "select count(*) from main.stage1_attributes")
    shown = published.get("stage1_attributes", in_study)
    labelled = _count(conn, "select count(*) from main.stage1_attributes where n_human_labels > 0")
    figures = {
        "in_drops": held,
        "in_study": in_study,
        "published": shown,
        "with_human_labels": labelled,
    }
    if held == 0:
        text = "stage 1: no attributes in any drop, so stage1_attributes is empty"
    else:
        text = f"stage 1: {_n(shown, 'attribute')} published of {held:,} in the drops"
        if in_study < held:
            text += f"; {held - in_study:,} belong to users outside the study"
        text += _withheld(in_study, shown)
        if shown and labelled == 0:
            text += "; no stage-1 judgments in any drop, so none has a human label"
    return [Reason("stage 1", "stage1_attributes", text, figures)]


def _stage2(conn: duckdb.DuckDBPyConnection, published: dict[str, int]) -> list[Reason]:
    held = _count_distinct(conn, "attribute_id, prompt_id", "main.stg_stage2_judgments")
    in_study = _count(conn, "select count(*) from main.stage2_relevance")
    shown = published.get("stage2_relevance", in_study)
    figures = {"in_drops": held, "in_study": in_study, "published": shown}
    if held == 0:
        text = "stage 2: no relevance judgments in any drop, so stage2_relevance is empty"
    else:
        text = f"stage 2: {_n(shown, 'item')} published of {held:,} judged in the drops"
        if in_study < held:
            text += (
                f"; {held - in_study:,} belong to users outside the study or name an "
                "attribute no drop holds"
            )
        text += _withheld(in_study, shown)
    return [Reason("stage 2", "stage2_relevance", text, figures)]


def _stage3(conn: duckdb.DuckDBPyConnection, published: dict[str, int]) -> list[Reason]:
    held = _count(conn, "select count(*) from main.stg_stage3_items")
    ratings = _count(conn, "select count(*) from main.stg_stage3_ratings")
    rated = _count(
        conn,
        "select count(distinct item_id) from main.stg_stage3_ratings "
        "where item_id in (select item_id from main.stg_stage3_items)",
    )
    in_study = _count(conn, "select count(*) from main.stage3_preferences")
    shown = published.get("stage3_preferences", in_study)
    figures = {
        "in_drops": held,
        "ratings_in_drops": ratings,
        "rated_in_drops": rated,
        "in_study": in_study,
        "published": shown,
    }
    if held == 0:
        text = "stage 3: no response pairs in any drop, so stage3_preferences is empty"
    elif ratings == 0:
        text = (
            f"stage 3: {_n(held, 'item')}, no ratings in any drop, so stage3_preferences "
            "is empty (it holds rated items only)"
        )
    else:
        text = (
            f"stage 3: {_n(shown, 'item')} published of {held:,} in the drops "
            f"({_n(ratings, 'rating')} in the drops)"
        )
        if held > rated:
            text += f"; {held - rated:,} have no rating"
        if rated > in_study:
            text += f"; {rated - in_study:,} rated ones belong to users outside the study"
        text += _withheld(in_study, shown)
    return [Reason("stage 3", "stage3_preferences", text, figures)]


def _users(conn: duckdb.DuckDBPyConnection, variables: dict[str, Any]) -> list[Reason]:
    reasons = []
    kinds = conn.execute(
        "select source_kind, count(*), count_if(in_study) from main.int_user_histories "
        "group by all order by all"
    ).fetchall()
    for kind, total, kept in kinds:
        figures = {"users": int(total), "in_study": int(kept)}
        if kind == "unknown":
            text = (
                f"users: {_n(int(total), 'user')} unknown: the exports name them but no drop "
                "holds their conversations, so the history rule cannot be checked and they "
                "stay in the study"
            )
        else:
            text = f"users: {int(kept):,} of {_n(int(total), kind + ' user')} pass the history rule"
        reasons.append(Reason("users", kind, text, figures))
    excluded = conn.execute(
        "select exclusion_reason, count(*) from main.int_user_histories "
        "where exclusion_reason is not null group by all order by 2 desc, 1"
    ).fetchall()
    for rule, count in excluded:
        phrase = RULES.get(rule, f"excluded by the rule {rule}").format(**variables)
        reasons.append(
            Reason(
                "users",
                rule,
                f"users: {_n(int(count), 'user')} {phrase}, excluded",
                {"users": int(count)},
            )
        )
    return reasons


def coverage(
    conn: duckdb.DuckDBPyConnection, published: dict[str, int] | None = None
) -> list[Reason]:
    """Every stage's and population's line, or none when the models are not built.

    `published` is the rows per config of the release (without it, the marts' rows stand for
    them); where it holds fewer than the mart, the rest are users withheld for re-identification
    risk."""
    needed = ("int_user_histories", "stage1_attributes", "stage2_relevance", "stage3_preferences")
    if not all(relation_exists(conn, f"main.{name}") for name in needed):
        return []
    return [
        *_stage1(conn, published or {}),
        *_stage2(conn, published or {}),
        *_stage3(conn, published or {}),
        *_users(conn, dbt_vars()),
    ]
