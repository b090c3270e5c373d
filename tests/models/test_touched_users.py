"""The users a dbt build rebuilds: those whose scrubbed rows changed since the last successful
build, on both sides of a row that moved; a full refresh when there is nothing to compare with or
a shared table or the project changed."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.defs.models import touched

TABLES = {
    "conversations": "conversation_id varchar, user_id varchar, n_turns int",
    "turns": "conversation_id varchar, turn_index int, content varchar",
    "attributes": "attribute_id varchar, user_id varchar, attribute varchar",
    "stage1_judgments": "annotator_id varchar, attribute_id varchar, label varchar",
    "stage1_reviews": "annotator_id varchar, user_id varchar, overall_note varchar",
    "stage2_judgments": "annotator_id varchar, user_id varchar, attribute_id varchar, "
    "prompt_id varchar, relevant boolean",
    "stage3_items": "item_id varchar, user_id varchar, prompt_id varchar",
    "stage3_ratings": "annotator_id varchar, item_id varchar, rating int",
    "expected_behaviors": "user_id varchar, attribute_id varchar, prompt_id varchar",
    "annotators": "annotator_id varchar, kind varchar",
    "prompts": "prompt_id varchar, prompt_text varchar",
}
ROWS = {
    "conversations": [("c1", "u1", 2), ("c2", "u2", 1), ("c3", "u3", 1)],
    "turns": [("c1", 0, "hello"), ("c1", 1, "hi"), ("c2", 0, "hey"), ("c3", 0, "yo")],
    "attributes": [("a1", "u1", "likes tea"), ("a2", "u2", "runs")],
    "stage1_judgments": [("h1", "a1", "accepted"), ("h1", "a2", "rejected")],
    "stage2_judgments": [("h1", "u2", "a2", "p1", True)],
    "stage3_items": [("i1", "u3", "p1")],
    "stage3_ratings": [("h1", "i1", 4)],
    "annotators": [("h1", "human")],
    "prompts": [("p1", "a prompt")],
}


@pytest.fixture
def conn(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        conn.execute("create schema scrubbed")
        for table, columns in TABLES.items():
            conn.execute(f"create table scrubbed.{table} ({columns})")
            for row in ROWS.get(table, []):
                conn.execute(
                    f"insert into scrubbed.{table} values ({', '.join('?' * len(row))})", row
                )
        yield conn


def _build(conn, project="p1", full=False, succeeded=True) -> tuple[touched.BuildScope, set]:
    scope = touched.prepare(conn, project, full)
    users = set()
    if not scope.full_refresh:
        users = {u for (u,) in conn.execute(f"select user_id from {touched.TOUCHED}").fetchall()}
    touched.commit(conn, succeeded)
    return scope, users


def test_only_the_users_whose_rows_changed_are_rebuilt(conn):
    first, _ = _build(conn)
    assert first.full_refresh and first.reason == "no earlier build to compare with"
    assert _build(conn) == (touched.BuildScope(False, "", 0), set())

    conn.execute(
        "update scrubbed.turns set content = 'hello again' where turn_index = 0 and "
        "conversation_id = 'c1'"
    )  # a turn reaches its user through the conversation
    scope, users = _build(conn, succeeded=False)
    assert users == {"u1"} and scope.touched == 1
    # The build failed: the next one rebuilds the same users, and those changed since.
    conn.execute("update scrubbed.stage3_ratings set rating = 5")  # through the item: u3
    assert _build(conn)[1] == {"u1", "u3"}
    assert not conn.execute(
        "select * from information_schema.tables where table_name = 'touched_users'"
    ).fetchall(), "the list is dropped after the build"

    # An attribute re-delivered to another user: both users, and the judgments move with it.
    conn.execute("update scrubbed.attributes set user_id = 'u3' where attribute_id = 'a2'")
    assert _build(conn)[1] == {"u2", "u3"}
    conn.execute("delete from scrubbed.conversations where user_id = 'u1'")
    assert _build(conn)[1] == {"u1"}, "a user whose rows vanished"
    conn.execute("insert into scrubbed.conversations values ('c9', 'u9', 1)")
    assert _build(conn)[1] == {"u9"}, "a new user"


def test_a_shared_table_the_project_or_asking_for_it_rebuilds_everything(conn):
    _build(conn)
    conn.execute("update scrubbed.annotators set kind = 'llm'")
    scope, _ = _build(conn)
    assert scope.full_refresh and scope.reason == "changed: table:annotators"
    scope, _ = _build(conn, project="p2")
    assert scope.full_refresh and scope.reason == "changed: project"
    assert _build(conn, project="p2", full=True)[0].reason == "asked for"
    assert not _build(conn, project="p2")[0].full_refresh
