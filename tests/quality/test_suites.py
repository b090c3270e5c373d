"""Every suite passes on the sample and fails on a table broken the way it exists to catch."""

from __future__ import annotations

import socket
from pathlib import Path

import duckdb
import pytest

from pipelines.defs.quality.checks import check_result
from pipelines.quality import (
    DuckDBSource,
    SuiteError,
    ValidationFailed,
    data_docs_index_is_stale,
    load_suite,
    load_suites,
    refresh_data_docs_index,
    validate,
)
from pipelines.release.validation import LEAK_SCAN, validate_published
from tests.sample_build import SAMPLE_DROP_ID, SampleBuild

SUITES = load_suites()
WAREHOUSE_SUITES = sorted(name for name in SUITES if not name.startswith("published."))
PUBLISHED_SUITES = sorted(name for name in SUITES if name.startswith("published."))
DROP = f"_drop_id = '{SAMPLE_DROP_ID}'"
PLANTED_EMAIL = "jordan.planted@example.org"

# suite -> (SQL that breaks its table in the warehouse, failing expectation, its column or None)
WAREHOUSE_BREAKS = {
    "raw.annotators": (
        "update raw.annotators set kind = 'robot' where _line = 1",
        "expect_column_values_to_be_in_set",
        "kind",
    ),
    "raw.attributes": (
        "update raw.attributes set confidence = 1.5 where _line = 3",
        "expect_column_values_to_be_between",
        "confidence",
    ),
    "raw.conversations": (
        "update raw.conversations set source_kind = 'scraped' where _line = 2",
        "expect_column_values_to_be_in_set",
        "source_kind",
    ),
    "raw.expected_behaviors": (
        "alter table raw.expected_behaviors add column extra varchar",
        "expect_table_columns_to_match_set",
        None,
    ),
    "raw.prompts": (
        "update raw.prompts set prompt_text = '' where _line = 4",
        "expect_column_value_lengths_to_be_between",
        "prompt_text",
    ),
    "raw.stage1_judgments": (
        "update raw.stage1_judgments set label = 'maybe' where _line < 3",
        "expect_column_values_to_be_in_set",
        "label",
    ),
    "raw.stage1_reviews": (
        "update raw.stage1_reviews set timestamp = timestamptz '1999-12-31' where _line = 5",
        "unexpected_rows_expectation",
        None,
    ),
    "raw.stage2_judgments": (
        f"update raw.stage2_judgments set relevant = true where {DROP}",
        "unexpected_rows_expectation",
        None,
    ),
    "raw.stage3_items": (
        "update raw.stage3_items set presentation_order = 'stacked' where _line = 1",
        "expect_column_values_to_be_in_set",
        "presentation_order",
    ),
    "raw.stage3_ratings": (
        "update raw.stage3_ratings set rating = 6 where _line = 7",
        "expect_column_values_to_be_between",
        "rating",
    ),
    "raw.turns": (
        "update raw.turns set content = '' where turn_index = 1",
        "expect_column_value_lengths_to_be_between",
        "content",
    ),
    "main.users": (
        "update main.users set n_conversations = 1 where user_id = "
        "(select min(user_id) from main.users)",
        "unexpected_rows_expectation",
        None,
    ),
    "main.conversations": (
        "update main.conversations set user_id = 'nobody' where "
        "conversation_id = (select min(conversation_id) from main.conversations)",
        "unexpected_rows_expectation",
        None,
    ),
    "main.prompts": (
        "update main.prompts set prompt_text = '' where prompt_id = "
        "(select min(prompt_id) from main.prompts)",
        "expect_column_value_lengths_to_be_between",
        "prompt_text",
    ),
    "main.stage1_attributes": (
        "update main.stage1_attributes set consensus_label = 'accepted' "
        "where n_rejected > n_accepted + n_uncertain",
        "unexpected_rows_expectation",
        None,
    ),
    "main.stage2_relevance": (
        "update main.stage2_relevance set consensus_relevant = "
        "not consensus_relevant where not consensus_tied",
        "unexpected_rows_expectation",
        None,
    ),
    "main.stage3_preferences": (
        "update main.stage3_preferences set human_mean_rating = 7 "
        "where item_id = (select min(item_id) from main.stage3_preferences)",
        "expect_column_values_to_be_between",
        "human_mean_rating",
    ),
    "main.metrics": (
        "update main.metrics set value = 2 where metric like '%kappa%'",
        "unexpected_rows_expectation",
        None,
    ),
}


def _source(path: Path) -> DuckDBSource:
    return DuckDBSource(str(path))


def _partition(name: str) -> str | None:
    return SAMPLE_DROP_ID if SUITES[name].partition_column else None


def test_every_suite_has_a_break_case():
    assert set(WAREHOUSE_BREAKS) == set(WAREHOUSE_SUITES)
    assert {
        f"published.{n}"
        for n in (
            "users",
            "conversations",
            "prompts",
            "metrics",
            "stage1_attributes",
            "stage2_relevance",
            "stage3_preferences",
        )
    } == set(PUBLISHED_SUITES)


@pytest.mark.parametrize("name", WAREHOUSE_SUITES)
def test_suite_passes_on_the_sample(name, sample_build: SampleBuild, tmp_path):
    outcome = validate(
        SUITES[name],
        _source(sample_build.warehouse),
        partition=_partition(name),
        docs_dir=tmp_path / "docs",
    )
    assert outcome.success, outcome.message()
    assert outcome.data_docs.is_file()


def test_the_data_docs_index_is_rebuilt_once_and_lists_each_validation(
    sample_build: SampleBuild, tmp_path
):
    docs = tmp_path / "docs"
    assert refresh_data_docs_index(docs) is None, "nothing validated, no index"
    pages = [
        validate(
            SUITES[name], _source(sample_build.warehouse), partition=_partition(name), docs_dir=docs
        ).data_docs
        for name in ("raw.prompts", "main.users")
    ]
    assert not (docs / "index.html").exists(), "a validation renders its own page only"
    assert data_docs_index_is_stale(docs)

    index = refresh_data_docs_index(docs)

    assert index == docs / "index.html" and not data_docs_index_is_stale(docs)
    listed = index.read_text()
    for page in pages:
        assert page.is_file() and page.relative_to(docs).as_posix() in listed


@pytest.mark.parametrize("name", WAREHOUSE_SUITES)
def test_suite_catches_its_broken_table(name, sample_copy: SampleBuild, tmp_path):
    statement, expectation, column = WAREHOUSE_BREAKS[name]
    with duckdb.connect(str(sample_copy.warehouse)) as conn:
        conn.execute(statement)
    outcome = validate(
        SUITES[name],
        _source(sample_copy.warehouse),
        partition=_partition(name),
        docs_dir=tmp_path / "docs",
    )
    result = check_result(outcome)

    assert not result.passed
    failed = [r for r in outcome.errors if r.expectation == expectation]
    assert failed, outcome.message()
    assert result.severity.value == "ERROR"
    assert name in result.description and expectation in result.description
    if column:
        assert f"column {column}" in result.description
        assert failed[0].row_keys, "offending rows are named by their keys"


# Suites whose key uniqueness is checked by grouping (spills to disk at any size), not by GE's
# compound-unique check, which holds every column of the table in a window (out of memory at 500k).
GROUPED_UNIQUE_KEYS = {
    "raw.stage1_reviews": ("annotator_id", "user_id"),
    "raw.stage2_judgments": ("annotator_id", "attribute_id", "prompt_id"),
    "raw.stage3_ratings": ("annotator_id", "item_id"),
    "raw.turns": ("conversation_id", "turn_index"),
    "main.stage2_relevance": ("attribute_id", "prompt_id"),
}


@pytest.mark.parametrize("name", sorted(GROUPED_UNIQUE_KEYS))
def test_a_key_found_twice_fails_its_grouped_uniqueness_check(name, sample_copy: SampleBuild):
    relation = SUITES[name].relation
    where = f"where {DROP}" if _partition(name) else ""
    with duckdb.connect(str(sample_copy.warehouse)) as conn:
        conn.execute(f"insert into {relation} (select * from {relation} {where} limit 1)")
    outcome = validate(
        SUITES[name], _source(sample_copy.warehouse), partition=_partition(name), docs_dir=None
    )

    keys = ", ".join(GROUPED_UNIQUE_KEYS[name])
    failed = [r for r in outcome.errors if r.notes.startswith(f"one row per ({keys})")]
    assert failed, outcome.message()
    assert failed[0].observed == "2 unexpected rows"
    assert len(failed[0].row_keys) == 2, "both copies are named by their row keys"


def test_private_values_never_reach_messages_or_data_docs(sample_copy: SampleBuild, tmp_path):
    with duckdb.connect(str(sample_copy.warehouse)) as conn:
        conn.execute(f"update raw.turns set content = ' ' || '{PLANTED_EMAIL}' where _line = 3")
        conn.execute("update raw.turns set content = '' where _line = 4")
        conn.execute(
            f"update raw.stage1_judgments set annotator_id = '{PLANTED_EMAIL}', "
            "label = 'maybe' where _line = 2"
        )
    for name in ("raw.turns", "raw.stage1_judgments"):
        suite = SUITES[name]
        outcome = validate(
            suite,
            _source(sample_copy.warehouse),
            partition=SAMPLE_DROP_ID,
            docs_dir=tmp_path / "docs",
        )
        assert not outcome.success
        result = check_result(outcome)
        assert PLANTED_EMAIL not in result.description
        assert PLANTED_EMAIL not in str(result.metadata)
    for page in (tmp_path / "docs").rglob("*"):
        if page.is_file():
            assert PLANTED_EMAIL not in page.read_text(errors="ignore"), page


def test_published_release_passes_on_the_sample(sample_build: SampleBuild, tmp_path, monkeypatch):
    monkeypatch.setenv("PIPELINES_DATA_DIR", str(tmp_path))
    with duckdb.connect(str(sample_build.warehouse), read_only=True) as conn:
        outcomes = validate_published(sample_build.release, conn)
    assert {o.suite for o in outcomes} == set(PUBLISHED_SUITES)
    assert all(o.success for o in outcomes), "\n".join(o.message() for o in outcomes)


def _rewrite(path: Path, query: str) -> None:
    with duckdb.connect() as conn:
        conn.execute(f"create table rows as {query}")
        conn.execute(f"copy rows to '{path}' (format parquet)")


@pytest.mark.parametrize("name", PUBLISHED_SUITES)
def test_published_suite_catches_a_broken_release(name, sample_copy: SampleBuild):
    config = name.split(".", 1)[1]
    folder = sample_copy.release / "data" / config
    train = next(folder.glob("train-*.parquet"))
    tests = list(folder.glob("test-*.parquet"))
    if tests:  # per-user config: a training user's row leaks into the test split
        _rewrite(
            tests[0],
            f"select * from read_parquet('{tests[0]}') union all "
            f"(select * from read_parquet('{train}') order by all limit 1)",
        )
        expectation, words = "unexpected_rows_expectation", "no user in two splits"
    else:  # whole-table config: an identifier survives into a published text field
        column = "prompt_text" if config == "prompts" else "subject"
        _rewrite(
            train, f"select * replace ('{PLANTED_EMAIL}' as {column}) from read_parquet('{train}')"
        )
        expectation, words = LEAK_SCAN, f"{column}: "
    with (
        duckdb.connect(str(sample_copy.warehouse), read_only=True) as conn,
        pytest.raises(ValidationFailed) as failure,
    ):
        validate_published(sample_copy.release, conn, docs_dir=None, configs=[config])
    message = str(failure.value)
    assert name in message and expectation in message and words in message
    assert PLANTED_EMAIL not in message


@pytest.mark.parametrize(
    ("planted", "leaks"),
    [
        ("write to jordan.planted@example.org", "EMAIL_ADDRESS"),
        ("call me on +1 415 555 0134", "PHONE_NUMBER"),
        ("or (415) 555-0134 after six", "PHONE_NUMBER"),
        ("the server at 93.184.216.34 answered", "IP_ADDRESS"),
        ("platform id 5f2b9c1e8a7d6b4c3e2f1a0b", "PLATFORM_ID"),
        ("card 4539 1488 0343 6467", "CREDIT_CARD"),
        ("iban DE89 3704 0044 0532 0130 00", "IBAN_CODE"),
        ("key sk-abcdefghijklmnopqrstuvwxyz12", "SECRET"),
        ("the router at 192.168.1.20, then 10.0.0.1 and 127.0.0.1", None),
        ("release 1.2.3, build 4.5.6.7.8, hash 5f2b9c1e8a7d6b4c3e2f1a0", None),
    ],
)
def test_the_published_leak_scan_finds_each_kind_and_keeps_private_addresses(
    planted, leaks, sample_copy: SampleBuild
):
    """The scan is the privacy stage's own detector: every kind it knows, phones included."""
    train, prompts, scan = _prompts_leak_scan(
        sample_copy, f"prompt_text || ' {planted}' as prompt_text"
    )
    assert scan.success is (leaks is None)
    if leaks:
        assert f"prompt_text: {prompts_rows(train)} x {leaks}" in scan.observed
    assert planted not in scan.line(prompts.relation)


@pytest.mark.parametrize(
    ("prompt_id", "leaks"),
    [("prompt_4539148803436467", None), ("4539148803436467", "CREDIT_CARD")],
)
def test_the_published_leak_scan_passes_hashed_identifiers_whatever_their_digits(
    prompt_id, leaks, sample_copy: SampleBuild
):
    """A keyed hash's 16 hex digits are now and then all decimal and Luhn-valid: in the shape the
    privacy stage writes, it is no card number; the same digits alone still are."""
    train, _, scan = _prompts_leak_scan(sample_copy, f"'{prompt_id}' as prompt_id")
    assert scan.success is (leaks is None)
    if leaks:
        assert f"prompt_id: {prompts_rows(train)} x {leaks}" in scan.observed


def _prompts_leak_scan(sample_copy: SampleBuild, replacement: str):
    """Rewrite a column of the published prompts' train file (`select * replace (...)`), validate
    the release, and return the file, the prompts' outcome and its residual-leak scan."""
    (train,) = (sample_copy.release / "data" / "prompts").glob("train-*.parquet")
    _rewrite(train, f"select * replace ({replacement}) from read_parquet('{train}')")
    with duckdb.connect(str(sample_copy.warehouse), read_only=True) as conn:
        (prompts,) = validate_published(
            sample_copy.release, conn, raise_on_error=False, docs_dir=None, configs=["prompts"]
        )
    assert prompts.suite == "published.prompts"
    (scan,) = [r for r in prompts.results if r.expectation == LEAK_SCAN]
    return train, prompts, scan


def prompts_rows(path: Path) -> int:
    with duckdb.connect() as conn:
        return conn.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]


def test_a_phone_in_any_published_string_fails_the_release_naming_table_column_and_row(
    sample_copy: SampleBuild,
):
    """Names and labels published as they are, and strings inside lists of structs, are scanned
    like the free texts; a row is named by split, position and key, and a key that leaks itself
    is withheld."""
    phone = "415-555-0134"
    data = sample_copy.release / "data"
    (conversations,) = (data / "conversations").glob("train-*.parquet")
    first = f"(select min(conversation_id) from read_parquet('{conversations}'))"
    _rewrite(
        conversations,
        f"select * replace ("
        f"case when conversation_id = {first} then 'gpt {phone}' else chat_model end "
        f"as chat_model, "
        f"case when conversation_id = {first} then list_transform(turns, t -> struct_pack("
        f"turn_index := t.turn_index, role := t.role, content := t.content || ' {phone}')) "
        f"else turns end as turns) "
        f"from read_parquet('{conversations}') order by conversation_id",
    )
    (metrics,) = (data / "metrics").glob("train-*.parquet")
    _rewrite(
        metrics,
        f"select * replace (case when row_number() over () = 2 then 'judge {phone}' "
        f"else subject end as subject) from read_parquet('{metrics}')",
    )
    with (
        duckdb.connect(str(sample_copy.warehouse), read_only=True) as conn,
        pytest.raises(ValidationFailed) as failure,
    ):
        validate_published(sample_copy.release, conn, docs_dir=None)
    message = str(failure.value)
    assert phone not in message and "555-0134" not in message
    lines = {line.split(":", 1)[0]: line for line in message.splitlines() if LEAK_SCAN in line}
    conversation = lines["[error] published.conversations"]
    assert "chat_model: 1 x PHONE_NUMBER" in conversation
    assert "turns: " in conversation and " x PHONE_NUMBER" in conversation
    assert "chat_model at train row 1 (conversation_id=" in conversation
    metric = lines["[error] published.metrics"]
    assert "subject: 1 x PHONE_NUMBER" in metric
    assert "subject at train row 2 (stage=" in metric and "subject=(withheld)" in metric


def test_a_suite_file_error_names_file_line_and_field(tmp_path):
    path = tmp_path / "raw.prompts.yml"
    path.write_text(
        "name: raw.prompts\nmeta: {}\nexpectations:\n"
        "  - type: expect_column_values_to_not_be_null\n    kwargs: {column: prompt_id}\n"
        "    meta: {severity: fatal}\n"
    )
    with pytest.raises(SuiteError, match=r"raw\.prompts\.yml:4: .*meta\.severity"):
        load_suite(path)


def test_validation_never_calls_out(sample_build: SampleBuild, tmp_path, monkeypatch):
    """GX analytics are off: a run opens no network connection (only local files)."""
    attempts = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    outcome = validate(
        SUITES["main.metrics"], _source(sample_build.warehouse), docs_dir=tmp_path / "docs"
    )
    assert outcome.success and attempts == []
