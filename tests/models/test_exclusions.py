"""The study's user filter, one rule at a time, on the bundled sample.

The sample generator plants users failing each rule (its plan of users is the answer key): every
user planted to fail a rule must be excluded for that rule and no other (the models give each
user the first rule it fails), be counted under it, and reach no published mart, while the users
planted in the study are published.
"""

from __future__ import annotations

import json
from collections import Counter

import duckdb
import pytest

from pipelines import settings
from pipelines.sample.generator import SampleConfig, UserPlan, plan_users
from tests.models.conftest import drop_records
from tests.sample_build import hashed

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


def planted(records: dict[str, list[str]]) -> dict[str, list[str]]:
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


@pytest.mark.parametrize("rule", sorted(REASONS))
def test_the_users_planted_to_fail_a_rule_are_counted_under_it_and_none_is_published(
    rule, sample_build, sample_records
):
    planted_users = planted(sample_records)
    users = [hashed(user) for user in planted_users[rule]]
    assert users, f"the sample plants no user failing {rule}"
    with duckdb.connect(str(sample_build.warehouse), read_only=True) as conn:
        excluded = users_excluded(conn)
        published = published_users(conn)
        reasons = dict(
            conn.execute(
                "select user_id, exclusion_reason from main.int_user_histories "
                "where list_contains(?, user_id)",
                [users],
            ).fetchall()
        )
        published_conversations = {
            c for (c,) in conn.execute("select conversation_id from main.conversations").fetchall()
        }
        planted_conversations = {
            c
            for (c,) in conn.execute(
                "select conversation_id from main.stg_conversations "
                "where list_contains(?, user_id)",
                [users],
            ).fetchall()
        }
    assert reasons == dict.fromkeys(users, REASONS[rule]), "each one under this rule alone"
    assert excluded[REASONS[rule]] == len(users)
    assert not published & set(users)
    assert planted_conversations and not published_conversations & planted_conversations
    in_study = {hashed(user) for user in planted_users["in_study"]}
    assert in_study and in_study <= published, "the users in the study are still published"
