"""The Data Docs site: a page per validation, and an index whose cost does not grow with runs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.quality import refresh_data_docs_index, runner
from pipelines.quality.suites import load_suite

SUITE = """
name: main.prompts
meta:
  description: A two-expectation suite on a small table.
  row_key: [prompt_id]
expectations:
  - type: expect_column_values_to_be_unique
    kwargs: {column: prompt_id}
    meta: {severity: error}
  - type: expect_column_values_to_not_be_null
    kwargs: {column: prompt_id}
    meta: {severity: error}
"""


@pytest.fixture
def validate_prompts(tmp_path: Path):
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as conn:
        conn.execute("create table main.prompts as select range as prompt_id from range(5)")
    suite_file = tmp_path / "main.prompts.yml"
    suite_file.write_text(SUITE)
    suite = load_suite(suite_file)
    source = runner.DuckDBSource(database=str(database))
    docs = tmp_path / "docs"
    return lambda: runner.validate(suite, source, docs_dir=docs), docs


def _stored(docs: Path, folder: str, suffix: str) -> list[Path]:
    return sorted((docs / folder).rglob(f"*{suffix}"))


def test_a_validation_renders_its_page_and_the_index_lists_it(validate_prompts):
    validate, docs = validate_prompts
    outcome = validate()
    assert outcome.data_docs is not None and outcome.data_docs.is_file()
    assert "main.prompts" in outcome.data_docs.read_text()
    assert refresh_data_docs_index(docs) == docs / runner.INDEX_PAGE
    index = (docs / runner.INDEX_PAGE).read_text()
    assert outcome.data_docs.relative_to(docs).as_posix() in index
    # The page was rendered from a store of its own, which is gone.
    assert not list(docs.glob(".page-*"))


def test_the_site_keeps_the_newest_validations_and_deletes_older_results_and_pages(
    validate_prompts, monkeypatch
):
    monkeypatch.setattr(runner, "KEPT_VALIDATIONS", 2)
    validate, docs = validate_prompts
    pages = [validate().data_docs for _ in range(4)]
    assert all(page.is_file() for page in pages)
    assert len(_stored(docs, runner.RESULTS, ".json")) == 4

    refresh_data_docs_index(docs)

    assert [page.is_file() for page in pages] == [False, False, True, True]
    results = _stored(docs, runner.RESULTS, ".json")
    assert [r.parts[-3] for r in results] == sorted(p.parts[-3] for p in pages[2:])
    # No empty run folders are left for GE to walk.
    assert not [
        f for f in (docs / runner.VALIDATIONS).rglob("*") if f.is_dir() and not any(f.iterdir())
    ]
    index = (docs / runner.INDEX_PAGE).read_text()
    assert pages[3].relative_to(docs).as_posix() in index
    assert pages[0].relative_to(docs).as_posix() not in index
