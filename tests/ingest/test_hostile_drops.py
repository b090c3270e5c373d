"""Hostile drops, each a copy of the bundled sample with one thing wrong: nothing leaks into
`raw.quarantine` or the log, nothing blocks, and no file lands silently shrunk."""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import settings
from pipelines.ingest import DropError, land_drop
from tests.build_once import build_once
from tests.ingest.test_ingest import ingest, raw_contents, table_counts

SECRET = "jane.doe@example.org"


def _land_sample(folder: Path) -> None:
    with duckdb.connect(str(folder / "warehouse.duckdb")) as conn:
        land_drop(conn, settings.SAMPLE_DROP)


@pytest.fixture(scope="session")
def landed_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding the bundled sample as ingest lands it, built once: the state a spoiled
    copy of the sample must leave as it was."""
    return build_once(tmp_path_factory, "landed-sample", _land_sample) / "warehouse.duckdb"


@pytest.fixture
def warehouse_with_sample(landed_sample: Path, warehouse_path: Path) -> Path:
    """The test's warehouse, holding the sample already landed."""
    shutil.copyfile(landed_sample, warehouse_path)
    return warehouse_path


@pytest.fixture
def drop(tmp_path: Path, sample_drop: Path) -> Path:
    """A copy of the bundled sample drop, under its own name, to spoil."""
    folder = tmp_path / "drops" / sample_drop.name
    shutil.copytree(sample_drop, folder)
    return folder


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_records(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def quarantine(warehouse_path: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        return conn.execute("select * from raw.quarantine order by _file, _line").fetchall()


@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/passwd", "outside"])
def test_a_link_in_a_drop_is_refused_before_anything_is_read(
    target, drop, warehouse_with_sample, monkeypatch
):
    monkeypatch.setenv("PIPELINES_TEST_SECRET", SECRET)
    with duckdb.connect(str(warehouse_with_sample)) as conn:
        before = raw_contents(conn)
    if target == "outside":
        outside = drop.parent.parent / "stage1_reviews.jsonl"
        shutil.copy(drop / "stage1_reviews.jsonl", outside)
        target = str(outside)
    (drop / "stage1_reviews.jsonl").unlink()
    (drop / "stage1_reviews.jsonl").symlink_to(target)

    with duckdb.connect(str(warehouse_with_sample)) as conn:
        with pytest.raises(DropError, match=r"stage1_reviews\.jsonl: a symbolic link"):
            land_drop(conn, drop)
        assert raw_contents(conn) == before


def test_a_pipe_in_a_drop_fails_it_instead_of_blocking(drop, warehouse_path):
    (drop / "manifest.json").unlink()
    os.mkfifo(drop / "manifest.json")
    with (
        duckdb.connect(str(warehouse_path)) as conn,
        pytest.raises(DropError, match=r"manifest\.json: not a regular file"),
    ):
        land_drop(conn, drop)


def test_a_refused_drop_fails_its_dagster_run_naming_the_file(drop, instance, warehouse):
    (drop / "prompts.jsonl").unlink()
    (drop / "prompts.jsonl").symlink_to("/etc/passwd")
    result = ingest(instance, warehouse, drop)
    assert not result.success
    description = result.failure_data_for_node("raw_tables").user_failure_data.description
    assert "prompts.jsonl: a symbolic link" in description


@pytest.mark.parametrize("name", ["study sample", "drop';--", "drop-é", "..."])
def test_a_drop_named_outside_the_contract_is_refused(name, drop, warehouse_path):
    renamed = drop.rename(drop.parent / name)
    with (
        duckdb.connect(str(warehouse_path)) as conn,
        pytest.raises(DropError, match="drop folder's name is the drop id"),
    ):
        land_drop(conn, renamed)


def test_a_bad_line_is_kept_as_its_hash_position_and_a_masked_excerpt(drop, warehouse_path, caplog):
    path = drop / "stage1_reviews.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    review = json.loads(lines[6])
    review["overall_note"] = f"Write to {SECRET} or call 555-0100"
    review["flagged"] = "yes"
    lines[6] = json.dumps(review).encode() + b"\n"
    path.write_bytes(b"".join(lines))

    caplog.set_level(logging.WARNING)
    with duckdb.connect(str(warehouse_path)) as conn:
        report = land_drop(conn, drop)
    [row] = quarantine(warehouse_path)
    (drop_id, file, line, table, field, reason, sha256, excerpt) = row
    assert (drop_id, file, line, table, field) == (
        drop.name,
        "stage1_reviews.jsonl",
        7,
        "stage1_reviews",
        "flagged",
    )
    assert sha256 == hashlib.sha256(lines[6]).hexdigest()
    assert excerpt.startswith('{"xxxxxxxxx_xx": "') and excerpt.endswith("...")
    assert len(excerpt) <= 83 and not re.search(r"[A-Za-wyz1-9]", excerpt), excerpt
    assert not any(part in str(row) for part in ("jane", "example", "555", "0100")), row
    assert SECRET not in caplog.text and "stage1_reviews.jsonl line 7" in caplog.text
    assert report.files["stage1_reviews.jsonl"].rows_landed == len(lines) - 1


def test_unknown_field_names_are_reported_by_position_never_by_name(drop, warehouse_path, caplog):
    reviews = records(drop / "stage1_reviews.jsonl")
    reviews[2][SECRET] = "met at the conference"
    write_records(drop / "stage1_reviews.jsonl", reviews)
    conversations = records(drop / "conversations.jsonl")
    turn = conversations[4]["turns"][1]
    turn[SECRET] = True
    conversations[5]["header"] = {"user-agent": "Mozilla/5.0", SECRET: 1}
    write_records(drop / "conversations.jsonl", conversations)

    caplog.set_level(logging.WARNING)
    with duckdb.connect(str(warehouse_path)) as conn:
        report = land_drop(conn, drop)
    rows = quarantine(warehouse_path)
    assert [(file, line, field) for _, file, line, _, field, *_ in rows] == [
        ("conversations.jsonl", 5, f"turns.1.<key {len(turn)}>"),
        ("conversations.jsonl", 6, "header.<key 2>"),
        ("stage1_reviews.jsonl", 3, f"<key {len(reviews[2])}>"),
    ]
    assert "not a field of the contract" in rows[2][5]
    for place in (str(rows), caplog.text, str(report.quarantine_reasons)):
        assert "jane" not in place and "example" not in place


def test_a_text_over_the_limit_is_quarantined_naming_file_line_and_field(
    drop, warehouse_path, monkeypatch
):
    monkeypatch.setenv("PIPELINES_MAX_TEXT_CHARS", "2000")
    conversations = records(drop / "conversations.jsonl")
    conversations[9]["turns"][1]["content"] = "a" * 2001
    conversations[10]["turns"][0]["content"] = "b" * 2000
    write_records(drop / "conversations.jsonl", conversations)
    attributes = records(drop / "attributes.jsonl")
    attributes[3]["merged_from"] = ["short", "c" * 5000]
    attributes[4]["reason"] = "d" * 3000
    write_records(drop / "attributes.jsonl", attributes)

    with duckdb.connect(str(warehouse_path)) as conn:
        land_drop(conn, drop)
        longest = conn.execute(
            "select max(length(content)) from raw.turns where conversation_id in (?, ?)",
            [conversations[9]["conversation_id"], conversations[10]["conversation_id"]],
        ).fetchone()[0]
        over = conn.execute(
            "select _file, _line, field, reason from raw.quarantine "
            "where reason like 'text of %' order by 1, 2"
        ).fetchall()
    assert [(file, line, field) for file, line, field, _ in over] == [
        ("attributes.jsonl", 4, "merged_from.1"),
        ("attributes.jsonl", 5, "reason"),
        ("conversations.jsonl", 10, "turns.1.content"),
    ]
    assert (
        over[2][3] == "text of 2001 characters, over the limit of 2000 (PIPELINES_MAX_TEXT_CHARS)"
    )
    assert longest == 2000, "a text at the limit lands; the conversation over it does not"


def as_one_json_array(path: Path) -> None:
    path.write_text(json.dumps(records(path)) + "\n")


def test_a_file_over_its_quarantined_share_fails_the_drop_and_leaves_raw_as_it_was(
    drop, warehouse_with_sample
):
    with duckdb.connect(str(warehouse_with_sample)) as conn:
        before = raw_contents(conn)
    as_one_json_array(drop / "prompts.jsonl")

    with duckdb.connect(str(warehouse_with_sample)) as conn:
        with pytest.raises(DropError) as refused:
            land_drop(conn, drop)
        assert raw_contents(conn) == before
    message = str(refused.value)
    assert "prompts.jsonl: 1 of 1 lines quarantined (over the 10% allowed)" in message
    assert "most often prompts.(record): Input should be an object (1 lines)" in message
    judgments = len(records(drop / "stage2_judgments.jsonl"))
    assert f"stage2_judgments.jsonl: {judgments} of {judgments} lines" in message
    assert "references unknown prompts.prompt_id" in message


def test_a_file_over_its_quarantined_share_fails_the_dagster_run(drop, instance, warehouse):
    as_one_json_array(drop / "prompts.jsonl")
    result = ingest(instance, warehouse, drop)
    assert not result.success
    description = result.failure_data_for_node("raw_tables").user_failure_data.description
    assert "prompts.jsonl: 1 of 1 lines quarantined" in description


def spoil_ratings(drop: Path, share: float) -> tuple[int, int]:
    """Make just over `share` of stage3_ratings.jsonl's lines bad (a string rating): (bad, all)."""
    ratings = records(drop / "stage3_ratings.jsonl")
    spoiled = int(len(ratings) * share) + 1
    for rating in ratings[:spoiled]:
        rating["rating"] = str(rating["rating"])
    write_records(drop / "stage3_ratings.jsonl", ratings)
    return spoiled, len(ratings)


@pytest.mark.parametrize(
    ("bounds", "lands"),
    [("", False), ("0.2", True), ("stage3_ratings=0.2", True), ("0.2,stage3_ratings=0.05", False)],
)
def test_the_quarantined_share_is_bounded_per_file_as_configured(
    bounds, lands, drop, warehouse_path, monkeypatch
):
    monkeypatch.setenv("PIPELINES_MAX_QUARANTINED_SHARE", bounds)
    spoiled, lines = spoil_ratings(drop, 0.1)
    with duckdb.connect(str(warehouse_path)) as conn:
        if lands:
            report = land_drop(conn, drop)
            assert report.files["stage3_ratings.jsonl"].rows_quarantined == spoiled
        else:
            with pytest.raises(
                DropError, match=rf"stage3_ratings.jsonl: {spoiled} of {lines} lines"
            ):
                land_drop(conn, drop)


def test_a_leading_byte_order_mark_is_accepted(drop, warehouse_path):
    prompts = len(records(drop / "prompts.jsonl"))
    for name in ("prompts.jsonl", "annotators.jsonl"):
        path = drop / name
        path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
    with duckdb.connect(str(warehouse_path)) as conn:
        report = land_drop(conn, drop)
    assert report.rows_quarantined == 0
    assert table_counts(warehouse_path)["prompts"] == prompts


def test_a_vocabulary_value_outside_its_vocabulary_or_holding_an_identifier_is_quarantined(
    drop, warehouse_path, caplog, monkeypatch
):
    """Labels and names are published as they are: one carrying personal data never lands."""
    monkeypatch.setenv("PIPELINES_MAX_QUARANTINED_SHARE", "1")
    phone = "415-555-0134"
    conversations = records(drop / "conversations.jsonl")
    conversations[2]["model"] = f"gpt {phone}"  # a name's shape, with a phone number in it
    conversations[3]["model"] = "+1 415 555 0134"  # not a name's shape
    conversations[4]["turns"][1]["language"] = f"English, call {SECRET}"
    write_records(drop / "conversations.jsonl", conversations)
    items = records(drop / "stage3_items.jsonl")
    items[5]["generator_model"] = phone
    write_records(drop / "stage3_items.jsonl", items)
    annotators = records(drop / "annotators.jsonl")
    llm = next(i for i, a in enumerate(annotators) if a["kind"] == "llm")
    annotators[llm]["annotator_id"] = f"llm:{phone}"
    write_records(drop / "annotators.jsonl", annotators)

    caplog.set_level(logging.WARNING)
    with duckdb.connect(str(warehouse_path)) as conn:
        report = land_drop(conn, drop)
        models = {
            value
            for (value,) in conn.execute(
                "select model from raw.conversations union select generator_model "
                "from raw.stage3_items union select annotator_id from raw.annotators"
            ).fetchall()
        }
    rows = quarantine(warehouse_path)
    refused = [
        (file, line, field)
        for _, file, line, _, field, reason, *_ in rows
        if not reason.startswith("references unknown")
    ]
    assert refused == [
        ("annotators.jsonl", llm + 1, "annotator_id"),
        ("conversations.jsonl", 3, "model"),
        ("conversations.jsonl", 4, "model"),
        ("conversations.jsonl", 5, "turns.1.language"),
        ("stage3_items.jsonl", 6, "generator_model"),
    ]
    reasons = {(file, field): reason for _, file, _, _, field, reason, *_ in rows}
    assert reasons[("stage3_items.jsonl", "generator_model")] == (
        "holds an identifier (PHONE_NUMBER) where a vocabulary value belongs"
    )
    assert reasons[("conversations.jsonl", "turns.1.language")].startswith(
        "not a value of its vocabulary: a name in words"
    )
    assert not any("555-0134" in str(value) or "555 0134" in str(value) for value in models)
    for place in (str(rows), caplog.text, str(report.quarantine_reasons)):
        assert phone not in place and "555 0134" not in place and SECRET not in place
