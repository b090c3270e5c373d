"""What the published marts show of a generated drop after the real ingest, scrub and models:
no id that links a row back to its source, starts kept to the day, scripted users left out."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import land_drop
from pipelines.privacy.audit import load_planted
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.scrub import scrub_drop
from pipelines.release.configs import CONFIGS
from pipelines.sample.generator import SampleConfig, plan_users
from tests.models.conftest import materialize_models
from tests.privacy.conftest import DROP_ID, DROP_SHAPE, TEST_KEY

PUBLISHED_MARTS = tuple(config.table for config in CONFIGS)
# Every id column of the contract's tables, read from `raw`.
RAW_IDS = """
select conversation_id from raw.conversations union select user_id from raw.conversations
union select hashed_ip from raw.conversations union select attribute_id from raw.attributes
union select user_id from raw.attributes union select prompt_id from raw.prompts
union select item_id from raw.stage3_items union select user_id from raw.stage3_items
union select annotator_id from raw.annotators where kind = 'human'
"""


@pytest.fixture(scope="module")
def published(
    generated_drop, scrubber_config: ScrubberConfig, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The generated drop landed, scrubbed with the default settings and modeled, once."""
    folder, manifest = generated_drop
    warehouse = tmp_path_factory.mktemp("published") / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as env:
        env.delenv("PIPELINES_TIMESTAMP_PRECISION", raising=False)
        with duckdb.connect(str(warehouse)) as conn:
            land_drop(conn, folder)
            scrub_drop(
                conn,
                DROP_ID,
                scrubber_config,
                TEST_KEY.encode(),
                workers=1,
                planted=load_planted(manifest),
            )
    assert materialize_models(warehouse, warehouse.parent / "data").success
    return warehouse


def _id_texts(conn: duckdb.DuckDBPyConnection, mart: str) -> list[str]:
    """The mart's id columns (and the lists and structs that hold ids) as JSON text per row."""
    columns = [
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'main' "
            "and table_name = ? and (column_name like '%\\_id' escape '\\' "
            "or column_name like '%\\_ids' escape '\\' or column_name in ('evidence', "
            "'subject', 'human_labels', 'llm_labels', 'human_ratings', 'llm_ratings'))",
            [mart],
        ).fetchall()
    ]
    assert columns, mart
    struct = ", ".join(f"'{name}': {name}" for name in columns)
    return [
        text
        for (text,) in conn.execute(f"select to_json({{{struct}}}) from main.{mart}").fetchall()
    ]


def test_no_published_id_equals_or_contains_a_raw_id(published):
    with duckdb.connect(str(published), read_only=True) as conn:
        raw_ids = {value for (value,) in conn.execute(RAW_IDS).fetchall() if value}
        texts = {mart: _id_texts(conn, mart) for mart in PUBLISHED_MARTS}
    assert all(texts.values()), "every published mart has rows"
    linked = sorted(
        {
            mart
            for mart, rows in texts.items()
            for text in rows
            for raw_id in raw_ids
            if raw_id in text
        }
    )
    assert not linked, f"published marts with a raw id: {linked}"


def test_published_ids_still_join_across_marts(published):
    with duckdb.connect(str(published), read_only=True) as conn:

        def ids(query: str) -> set[str]:
            return {value for (value,) in conn.execute(query).fetchall()}

        attributes = ids("select attribute_id from main.stage1_attributes")
        prompts = ids("select prompt_id from main.prompts")
        conversations = ids("select conversation_id from main.conversations")
        assert ids("select attribute_id from main.stage2_relevance") <= attributes
        assert ids("select prompt_id from main.stage2_relevance") <= prompts
        assert ids("select prompt_id from main.stage3_preferences") <= prompts
        assert ids("select unnest(attribute_ids) from main.stage3_preferences") <= attributes
        evidence = ids("select unnest(evidence).conversation_id from main.stage1_attributes")
        assert evidence and evidence <= conversations


def test_published_conversation_starts_are_kept_to_the_day_by_default(published):
    with duckdb.connect(str(published), read_only=True) as conn:
        (raw_within_day,) = conn.execute(
            "select count(*) from raw.conversations "
            "where \"timestamp\" != date_trunc('day', \"timestamp\" at time zone 'UTC') "
            "at time zone 'UTC'"
        ).fetchone()
        starts = [
            started
            for (started,) in conn.execute(
                "select strftime(started_at at time zone 'UTC', '%H:%M:%S.%f') "
                "from main.conversations where started_at is not null"
            ).fetchall()
        ]
    assert raw_within_day, "the drop has starts that are not midnight"
    assert starts and set(starts) == {"00:00:00.000000"}


def test_scripted_users_planted_in_the_drop_are_excluded_after_the_real_scrub(
    published, generated_drop
):
    planted = [
        plan
        for plan in plan_users(SampleConfig(out=generated_drop[0], **DROP_SHAPE))
        if plan.fails == "scripted"
    ]
    with duckdb.connect(str(published), read_only=True) as conn:
        (excluded,) = conn.execute(
            "select value from main.metrics_study "
            "where metric = 'users_excluded' and subject = 'scripted'"
        ).fetchone()
        headers = {
            json.loads(header)["client_kind"]
            for (header,) in conn.execute(
                "select header from scrubbed.conversations where header is not null"
            ).fetchall()
        }
    assert planted and excluded == len(planted)
    assert headers == {"programmatic", "browser"}
