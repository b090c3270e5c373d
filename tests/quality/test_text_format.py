"""The one markdown-table form of every report: compact, and a cell can never split a row."""

from pipelines.quality import ExpectationOutcome, SuiteOutcome
from pipelines.text_format import markdown_table


def test_a_table_is_compact_and_escapes_its_cells():
    table = markdown_table(["a", "b"], [[1, "x | y"], ["two\nlines", ""]])
    assert table.splitlines() == [
        "| a | b |",
        "|---|---|",
        "| 1 | x \\| y |",
        "| two lines |  |",
    ]


def test_a_failed_suite_renders_one_row_per_failed_expectation():
    failed = ExpectationOutcome(
        expectation="expect_column_values_to_not_be_null",
        columns=("user_id",),
        severity="error",
        success=False,
        observed="2 null | of 10",
        row_keys=("user_id=u1", "user_id=u2"),
        notes="",
    )
    outcome = SuiteOutcome(
        suite="main.users",
        relation="main.users",
        partition=None,
        results=[failed],
        data_docs=None,
        data_docs_index=None,
        seconds=0.1,
    )
    assert outcome.markdown().splitlines()[2] == (
        "| error | expect_column_values_to_not_be_null | user_id | 2 null \\| of 10 "
        "| user_id=u1, user_id=u2 |"
    )
