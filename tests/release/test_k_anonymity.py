"""The re-identification check: groups of users sharing the quasi-identifiers a release keeps."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import settings
from pipelines.release import k_anonymity
from pipelines.release.build import plan_release
from pipelines.release.validation import validate_published
from tests.release import warehouse


def _users_and_conversations(conn: duckdb.DuckDBPyConnection, users: list[tuple]) -> None:
    """users: (user_id, source_kind, sources, n_conversations, languages of their conversations)."""
    conn.execute(
        "create table main.users (user_id varchar, source_kind varchar, sources varchar[], "
        "n_conversations bigint)"
    )
    conn.execute("create table main.conversations (user_id varchar, language varchar)")
    for user_id, kind, sources, n, languages in users:
        conn.execute("insert into main.users values (?, ?, ?, ?)", [user_id, kind, sources, n])
        for language in languages:
            conn.execute("insert into main.conversations values (?, ?)", [user_id, language])


# Five English WildChat users with 3-4 conversations, six with 10-19, and two who stand out: one
# who also wrote in French, one with 25 conversations; and a synthetic persona, who is no one.
USERS = (
    [(f"u{i}", "real", ["wildchat"], 3 + i % 2, ["English"]) for i in range(5)]
    + [(f"v{i}", "real", ["wildchat"], 10 + i, ["English", "English"]) for i in range(6)]
    + [("w0", "real", ["wildchat"], 4, ["English", "French"])]
    + [("w1", "real", ["wildchat"], 25, ["English"])]
    + [("s0", "synthetic", ["cupid"], 3, ["English"])]
)


@pytest.fixture
def marts() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    _users_and_conversations(conn, USERS)
    return conn


def test_users_are_grouped_by_every_kept_quasi_identifier(marts):
    assessment = k_anonymity.assess_warehouse(marts, k=5)
    assert assessment.quasi_identifiers == (
        "languages",
        "sources",
        "source kind",
        "conversation count band",
    )
    # Synthetic personas are not grouped: they are no one.
    assert assessment.users == len(USERS) - 1
    assert assessment.smallest_group == 1
    # The French writer and the user of 25 conversations are alone; the two bands of English users
    # hold five and six users.
    assert assessment.below_k == {"w0", "w1"}
    assert assessment.groups_below_k == 2
    assert k_anonymity.assess_warehouse(marts, k=1).below_k == frozenset()


def test_a_column_the_release_does_not_publish_is_no_quasi_identifier(marts):
    marts.execute("alter table main.conversations drop column language")
    assessment = k_anonymity.assess_warehouse(marts, k=5)
    assert "languages" not in assessment.quasi_identifiers
    # Without languages the French writer joins the other English users of 3-4 conversations.
    assert assessment.below_k == {"w1"}


def test_country_and_state_count_when_published(marts):
    marts.execute("alter table main.users add column country varchar default 'Canada'")
    marts.execute("alter table main.users add column state varchar default 'Ontario'")
    marts.execute("update main.users set state = 'Quebec' where user_id = 'u0'")
    assessment = k_anonymity.assess_warehouse(marts, k=5)
    assert assessment.quasi_identifiers[:2] == ("country", "state")
    assert "u0" in assessment.below_k


def test_users_below_k_are_withheld_or_stop_the_release(marts):
    assessment = k_anonymity.assess_warehouse(marts, k=5)
    assert k_anonymity.withheld_users(assessment, "withhold") == {"w0", "w1"}
    with pytest.raises(k_anonymity.ReidentificationRisk) as raised:
        k_anonymity.withheld_users(assessment, "fail")
    message = str(raised.value)
    assert "2 of 13 users" in message and "k=5" in message and "smallest group holds 1" in message
    assert "PIPELINES_RELEASE_BELOW_K" in message
    # Counts only: no user is named.
    assert "w0" not in message and "w1" not in message


def test_the_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.delenv("PIPELINES_RELEASE_MIN_K", raising=False)
    monkeypatch.delenv("PIPELINES_RELEASE_BELOW_K", raising=False)
    assert settings.release_min_k() == 5
    assert settings.release_below_k() == "withhold"
    monkeypatch.setenv("PIPELINES_RELEASE_MIN_K", "10")
    monkeypatch.setenv("PIPELINES_RELEASE_BELOW_K", "FAIL")
    assert settings.release_min_k() == 10
    assert settings.release_below_k() == "fail"
    monkeypatch.setenv("PIPELINES_RELEASE_MIN_K", "0")
    with pytest.raises(ValueError, match="PIPELINES_RELEASE_MIN_K"):
        settings.release_min_k()
    monkeypatch.setenv("PIPELINES_RELEASE_BELOW_K", "drop")
    with pytest.raises(ValueError, match="PIPELINES_RELEASE_BELOW_K"):
        settings.release_below_k()


def _write(folder: Path, config: str, table: pa.Table) -> None:
    (folder / "data" / config).mkdir(parents=True)
    pq.write_table(table, folder / "data" / config / "train-00000-of-00001.parquet")


def test_the_published_check_groups_the_files_again(tmp_path):
    users = [u for u in USERS if u[0] not in {"w0", "w1"}]
    _write(
        tmp_path,
        "users",
        pa.table(
            {
                "user_id": [u[0] for u in users],
                "source_kind": [u[1] for u in users],
                "sources": [u[2] for u in users],
                "n_conversations": [u[3] for u in users],
            }
        ),
    )
    _write(
        tmp_path,
        "conversations",
        pa.table(
            {
                "user_id": [u[0] for u in users for _ in u[4]],
                "language": [language for u in users for language in u[4]],
            }
        ),
    )
    # The synthetic persona is published and not grouped.
    passed = k_anonymity.published_outcome(tmp_path, k=5)
    assert passed.success and "the smallest group holds 5" in passed.observed
    failed = k_anonymity.published_outcome(tmp_path, k=6)
    assert not failed.success
    assert failed.expectation == "k_anonymity" and failed.severity == "error"
    assert "5 of 11 users" in failed.observed


def _warehouse_with_outliers(path: Path, record: bool = True) -> tuple[Path, set[str]]:
    """The fixture warehouse, two of its real users with 25 conversations (a group of two); the
    users below k recorded for the metrics, as the asset withheld_users does after the marts."""
    warehouse.build(path, n_users=40)
    with duckdb.connect(str(path)) as conn:
        outliers = {
            user
            for (user,) in conn.execute(
                "select user_id from main.users where source_kind = 'real' order by user_id limit 2"
            ).fetchall()
        }
        conn.execute(
            "update main.users set n_conversations = 25 where user_id in (?, ?)", sorted(outliers)
        )
        if record:
            k_anonymity.record_below_k(conn)
    return path, outliers


def test_the_users_below_k_are_recorded_for_the_metric_models(marts):
    assert k_anonymity.recorded_below_k(marts) == frozenset()
    assessment = k_anonymity.record_below_k(marts, k=5)
    assert k_anonymity.recorded_below_k(marts) == assessment.below_k == {"w0", "w1"}
    k_anonymity.record_below_k(marts, k=1)
    assert k_anonymity.recorded_below_k(marts) == frozenset()


@pytest.mark.parametrize("recorded", ["nothing", "other users"])
def test_a_release_stops_when_the_metrics_left_out_other_users(
    tmp_path, options, monkeypatch, recorded
):
    """Metrics built before the marts or k changed leave out other users than the release
    withholds: they would not be recomputable from the release, so nothing is published."""
    monkeypatch.setenv("PIPELINES_RELEASE_MIN_K", "5")
    monkeypatch.setenv("PIPELINES_RELEASE_BELOW_K", "withhold")
    path, outliers = _warehouse_with_outliers(tmp_path / "warehouse.duckdb", record=False)
    with duckdb.connect(str(path)) as conn:
        if recorded == "other users":
            k_anonymity.record_below_k(conn)
            conn.execute(
                f"delete from {k_anonymity.WITHHELD_TABLE} where user_id = ?", [min(outliers)]
            )
            conn.execute(f"insert into {k_anonymity.WITHHELD_TABLE} values ('user_elsewhere')")
        with pytest.raises(k_anonymity.MetricsScopeMismatch) as raised:
            plan_release(conn, tmp_path / "staging", None, options)
    message = str(raised.value)
    assert "withholds 2 users" in message and "withheld_users" in message
    assert not any(user in message for user in outliers)
    assert not (tmp_path / "staging" / "data").exists()


def test_a_release_withholds_users_below_k_from_every_per_user_config(
    tmp_path, options, monkeypatch
):
    """Two real users alone in their band are withheld from every per-user config and counted on
    the card; the synthetic personas (two groups of four) stay; the staged release passes."""
    monkeypatch.setenv("PIPELINES_RELEASE_MIN_K", "5")
    monkeypatch.setenv("PIPELINES_RELEASE_BELOW_K", "withhold")
    path, outliers = _warehouse_with_outliers(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(path)) as conn:
        plan = plan_release(conn, tmp_path / "staging", None, options)
        outcomes = validate_published(plan.staging, conn, docs_dir=None)
    assert len(plan.assignment.users) == 38
    assert not outliers & set(plan.assignment.users)
    for table in warehouse.PER_USER_TABLES:
        published = pq.read_table(plan.staging / "data" / table).column("user_id").to_pylist()
        assert published and not outliers & set(published), table
    card = (plan.staging / "README.md").read_text()
    # The real users of a band number 16, less those moved out of it.
    smallest = k_anonymity.assess_warehouse(duckdb.connect(str(path), read_only=True), k=5)
    assert smallest.smallest_group == 2
    assert re.search(r"sharing all of them holds\s+1[4-6] users \(required: at least 5\)", card)
    assert re.search(r"2 users in smaller groups are\s+withheld", card)
    users_outcome = next(o for o in outcomes if o.suite.endswith("users"))
    check = next(r for r in users_outcome.results if r.expectation == "k_anonymity")
    assert check.success


def test_a_release_below_k_fails_with_a_clear_error_when_told_to(tmp_path, options, monkeypatch):
    monkeypatch.setenv("PIPELINES_RELEASE_MIN_K", "5")
    monkeypatch.setenv("PIPELINES_RELEASE_BELOW_K", "fail")
    path, _ = _warehouse_with_outliers(tmp_path / "warehouse.duckdb")
    with (
        duckdb.connect(str(path)) as conn,
        pytest.raises(k_anonymity.ReidentificationRisk, match="2 of 32 users"),
    ):
        plan_release(conn, tmp_path / "staging", None, options)
    assert not (tmp_path / "staging" / "data").exists()
