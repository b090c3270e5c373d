"""The study's user filter, one rule at a time, on drops cut from the bundled sample.

The sample generator plants users failing each rule (its plan of users is the answer key). A drop
for a rule keeps the users in the study and those planted to fail that rule only, so every user the
filter drops must be counted under that rule, and none of them may reach a published mart.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from pipelines import settings
from pipelines.sample.generator import SampleConfig, UserPlan, plan_users
from tests.models.conftest import build_scrubbed_warehouse, drop_records, materialize_models

# The generator's name of each rule of the filter -> the reason the models report for it.
REASONS = {
    "language": "not_english",
    "scripted": "scripted",
    "few_conversations": "few_conversations",
    "few_turns": "few_turns",
}
PUBLISHED_MARTS = (
    "users",
    "conversations",
    "stage1_attributes",
    "stage2_relevance",
    "stage3_preferences",
)


def _user_key(record: dict) -> str:
    """A conversation's user as the contract groups histories: user_id, else hashed_ip."""
    return record.get("user_id") or record["hashed_ip"]


def planted_users(records: dict[str, list[str]]) -> dict[str, list[str]]:
    """The user keys of the bundled sample per rule they are planted to fail ("in_study" for none).

    The generator writes a drop user by user in the order of its plan: the drop's users, in order
    of first appearance, are the plan's users, which the conversation counts confirm."""
    conversations = Counter(_user_key(json.loads(line)) for line in records["conversations"])
    plans: list[UserPlan] = plan_users(SampleConfig(out=settings.SAMPLE_DROP))
    assert [plan.n_conversations for plan in plans] == list(conversations.values())
    users: dict[str, list[str]] = {}
    for plan, user in zip(plans, conversations, strict=True):
        users.setdefault(plan.fails or "in_study", []).append(user)
    return users


@pytest.fixture(scope="session")
def sample_records() -> dict[str, list[str]]:
    return drop_records(settings.SAMPLE_DROP)


def _without_users(records: dict[str, list[str]], users: set[str]) -> dict[str, list[str]]:
    """The drop without any record of these users."""
    kept = {}
    for stem, lines in records.items():
        kept[stem] = [
            line
            for line in lines
            if not ({"user_id", "hashed_ip"} & (record := json.loads(line)).keys())
            or _user_key(record) not in users
        ]
    return kept


@pytest.fixture(scope="session", params=sorted(REASONS))
def rule_build(request, sample_records, tmp_path_factory) -> tuple[str, list[str], Path]:
    """(rule, the users planted to fail it, a modeled warehouse of the drop failing only it)."""
    rule = request.param
    planted = planted_users(sample_records)
    others = {
        user for name, users in planted.items() if name not in (rule, "in_study") for user in users
    }
    folder = tmp_path_factory.mktemp(f"only_{rule}")
    path = build_scrubbed_warehouse(
        folder / "warehouse.duckdb", _without_users(sample_records, others)
    )
    assert materialize_models(path, folder / "data").success
    return rule, planted[rule], path


def users_excluded(conn: duckdb.DuckDBPyConnection) -> dict[str, float]:
    return dict(
        conn.execute(
            "select subject, value from main.metrics_study where metric = 'users_excluded'"
        ).fetchall()
    )


def published_users(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        user
        for mart in PUBLISHED_MARTS
        for (user,) in conn.execute(f"select distinct user_id from main.{mart}").fetchall()
    }


def test_a_drop_failing_one_rule_counts_its_users_under_that_rule_and_publishes_none(rule_build):
    rule, planted, path = rule_build
    assert planted, f"the sample plants no user failing {rule}"
    with duckdb.connect(str(path), read_only=True) as conn:
        excluded = users_excluded(conn)
        published = published_users(conn)
        published_conversations = {
            c for (c,) in conn.execute("select conversation_id from main.conversations").fetchall()
        }
        planted_conversations = {
            c
            for (c,) in conn.execute(
                "select conversation_id from main.stg_conversations "
                "where list_contains(?, user_id)",
                [planted],
            ).fetchall()
        }
    assert excluded == {
        reason: (len(planted) if name == rule else 0) for name, reason in REASONS.items()
    }
    assert not published & set(planted)
    assert planted_conversations and not published_conversations & planted_conversations
    assert published, "the users in the study are still published"


def test_the_bundled_sample_excludes_every_scripted_user_it_plants(sample_build, sample_records):
    path, _ = sample_build
    planted = planted_users(sample_records)["scripted"]
    with duckdb.connect(str(path), read_only=True) as conn:
        assert users_excluded(conn)["scripted"] == len(planted)
        assert not published_users(conn) & set(planted)
