"""The marts keep the study's users and logic: filter, majority votes with explicit ties, shapes."""

from __future__ import annotations

import duckdb

from tests.models import model_fixtures


def _query(path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql, params).fetchall()


def test_only_users_passing_the_study_filter_or_without_history_are_published(edge_case_build):
    path, result = edge_case_build
    assert result.success
    published = {
        user
        for table in (
            "users",
            "conversations",
            "stage1_attributes",
            "stage2_relevance",
            "stage3_preferences",
        )
        for (user,) in _query(path, f"select distinct user_id from main.{table}")
    }
    assert published == set(model_fixtures.PUBLISHED_USERS)
    reasons = dict(_query(path, "select user_id, exclusion_reason from main.int_user_histories"))
    no_history = _query(
        path,
        "select user_id, source_kind, n_conversations from main.users "
        "where user_id in (select user_id from main.int_user_histories where not has_history)",
    )
    assert no_history == [(user, "unknown", 0) for user in model_fixtures.NO_HISTORY_USERS]
    assert reasons["user_fr"] == "not_english"
    assert reasons["user_bot"] == "scripted"
    assert reasons["user_few"] == "few_conversations"
    assert reasons["user_short"] == "few_turns"


def test_stage1_ties_give_no_consensus_and_no_category(edge_case_build):
    path, _ = edge_case_build
    rows = {
        attribute: rest
        for attribute, *rest in _query(
            path,
            "select attribute_id, consensus_label, consensus_tied, failure_category, "
            "n_human_labels from main.stage1_attributes",
        )
    }
    assert rows["attr_user_r1_0"] == [None, True, None, 3]  # accepted / uncertain / rejected
    assert rows["attr_user_r1_1"] == [None, True, None, 2]  # accepted / rejected
    assert rows["attr_user_r2_0"] == ["rejected", False, None, 3]  # categories tie
    # the LLM's stage-1 label is not a vote; two of three rejecters say overgeneralization
    assert rows["attr_user_r2_1"] == ["rejected", False, "overgeneralization", 3]


def test_stage2_even_split_has_no_consensus(edge_case_build):
    path, _ = edge_case_build
    item = model_fixtures.stage2_items()[3]
    row = _query(
        path,
        "select n_human_votes, n_relevant_votes, consensus_relevant, consensus_tied, "
        "len(llm_labels) from main.stage2_relevance where attribute_id = ? and prompt_id = ?",
        [item[1], item[2]],
    )
    assert row == [(2, 1, None, True, 4)]


def test_published_marts_have_the_release_shapes(sample_build):
    path = sample_build.warehouse
    (turn,) = _query(path, "select turns[1] from main.conversations limit 1")[0]
    assert set(turn) == {"turn_index", "role", "content"} and turn["turn_index"] == 0
    with duckdb.connect(str(path), read_only=True) as conn:
        value_type = conn.execute(
            "select data_type from information_schema.columns "
            "where table_name = 'metrics' and column_name = 'value'"
        ).fetchone()
        assert value_type == ("DOUBLE",)
        for table in (
            "users",
            "conversations",
            "stage1_attributes",
            "stage2_relevance",
            "stage3_preferences",
        ):
            missing = conn.execute(f"select count(*) from main.{table} where user_id is null")
            assert missing.fetchone() == (0,), table
    n_stage2 = _query(path, "select count(*) from main.stage2_relevance")[0][0]
    assert (
        n_stage2
        == _query(
            path, "select count(distinct (attribute_id, prompt_id)) from scrubbed.stage2_judgments"
        )[0][0]
    )
