"""Run a suite with Great Expectations' ephemeral context against a DuckDB relation.

The data stays in DuckDB: GE's SQL execution engine (through duckdb_engine) pushes every metric
down as a query, so a table is never loaded into Python. Results are made value-free for private
columns before anything is reported or written, then rendered as Data Docs into
`settings.data_docs_dir()`, whose index lists the newest validations (INDEX_RESULTS).
"""

from __future__ import annotations

import functools
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
from duckdb_engine import ConnectionWrapper, CursorWrapper
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.store import HtmlSiteStore, ValidationResultsStore
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    SiteSectionIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.render.renderer import ValidationResultsPageRenderer
from great_expectations.render.view import DefaultJinjaPageView
from great_expectations.validator.v1_validator import Validator

from pipelines import settings
from pipelines.quality.outcome import (
    ExpectationOutcome,
    SuiteOutcome,
    exception_infos,
    outcome_of,
)
from pipelines.quality.suites import Suite, expectation_columns

SITE = "local_site"
# Enough offending rows to name a few in a report; the full count is always given.
KEPT_UNEXPECTED = 20
INDEX_PAGE = "index.html"
# The validation results the index lists, stored under the site (value-free, like the pages).
RESULTS = "results"
# Where GE writes each validation's page in the site.
VALIDATIONS = "validations"
# A validation's run name: its UTC time, so that names sort by age.
_RUN_NAME = "%Y%m%dT%H%M%S.%fZ"
# The index lists the newest validations only (a few runs' worth): building it reads each one.
INDEX_RESULTS = 100
# Validations whose results and pages are kept (about ten runs' worth); older ones are deleted.
KEPT_VALIDATIONS = 300
# Names no stored validation result: passed as the resources to render, it renders no page.
_NO_PAGE = ExpectationSuiteIdentifier(name="no-page")
_VALUE_FIELDS = ("partial_unexpected_list", "partial_unexpected_counts", "unexpected_list")
_INDEX_FIELDS = ("partial_unexpected_index_list", "unexpected_index_list")


class _SeparateCursors(ConnectionWrapper):
    """duckdb_engine runs every cursor on the connection itself, so the rollback SQLAlchemy sends
    when GE hands a connection back wipes the result GE is about to fetch. A DuckDB cursor is its
    own connection to the same database: results survive, and validation only reads. Each cursor
    is closed with the connection, so no handle on the file outlives the validation (DuckDB refuses
    a read-write connection in the same process while a read-only one is open)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        super().__init__(connection)
        self._connection = connection
        self._cursors: list[duckdb.DuckDBPyConnection] = []

    def cursor(self) -> CursorWrapper:
        cursor = self._connection.cursor()
        self._cursors.append(cursor)
        return CursorWrapper(cursor, self)

    def close(self) -> None:
        for cursor in self._cursors:
            cursor.close()
        self._cursors.clear()
        super().close()


@dataclass(frozen=True)
class DuckDBSource:
    """Where a suite's relation lives: a DuckDB file opened read-only, or an in-memory database
    prepared by `setup` statements (views over Parquet files, for published splits)."""

    database: str | None = None
    setup: tuple[str, ...] = ()

    def connect(self) -> duckdb.DuckDBPyConnection:
        if self.database:
            connection = duckdb.connect(
                self.database, read_only=True, config=settings.duckdb_config()
            )
        else:
            connection = duckdb.connect(config=settings.duckdb_config())
        for statement in self.setup:
            connection.execute(statement)
        return connection


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def batch_query(suite: Suite, partition: str | None) -> str:
    query = f"select * from {suite.relation}"
    if partition is not None and suite.partition_column:
        query += f' where "{suite.partition_column}" = {_quote(partition)}'
    return query


def _context(docs_dir: Path | None) -> Any:
    """An ephemeral context (in-memory stores, no analytics, no progress bars), with a Data Docs
    site under `docs_dir` when one is given, listing the validation results of its `results`
    folder."""
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    if docs_dir is not None:
        config.stores["validation_results_store"] = {
            "class_name": "ValidationResultsStore",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir / RESULTS),
            },
        }
        config.data_docs_sites = {
            SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": INDEX_RESULTS,
                },
            }
        }
    return gx.get_context(mode="ephemeral", project_config=config)


def _strip_private(result: dict[str, Any], private: set[str], row_key: Sequence[str]) -> None:
    """Keep counts and row keys; drop values of private columns and cap the lists."""
    for field in _VALUE_FIELDS:
        if field in result:
            result[field] = [] if private else result[field][:KEPT_UNEXPECTED]
    for field in _INDEX_FIELDS:
        if field in result:
            result[field] = [
                {k: v for k, v in row.items() if k not in private} if isinstance(row, dict) else row
                for row in result[field][:KEPT_UNEXPECTED]
            ]
    result.pop("unexpected_index_query", None)
    if (
        private
        and "observed_value" in result
        and not isinstance(result["observed_value"], (int, float))
    ):
        result["observed_value"] = "withheld: private column"
    rows = (result.get("details") or {}).get("unexpected_rows")
    if rows is not None:
        kept = [dict(row) for row in list(rows)[:KEPT_UNEXPECTED]]
        result["details"]["unexpected_rows"] = [
            {k: v for k, v in row.items() if k not in private or k in row_key} for row in kept
        ]


def _sanitize(suite: Suite, validation: Any) -> None:
    for expectation_result in validation.results:
        kwargs = expectation_result.expectation_config.kwargs
        if expectation_result.expectation_config.type == "unexpected_rows_expectation":
            private = set(suite.private_columns)
        else:
            private = expectation_columns(kwargs) & suite.private_columns
        _strip_private(expectation_result.result, private, suite.row_key)
        for info in exception_infos(expectation_result.exception_info):
            # Tracebacks can quote SQL and data; the message alone says what went wrong.
            info["exception_traceback"] = ""


class _PageWriter:
    """Renders a validation's page and stores its result where the Data Docs index reads it, as
    GE's site builder does for one validation, but without a context, a site builder and a copy
    of the site's static files for every page; the index, and the static files it links to, are
    left to refresh_data_docs_index."""

    def __init__(self, docs_dir: Path) -> None:
        self.docs_dir = docs_dir
        self.pages = HtmlSiteStore(
            store_backend={
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            }
        )
        self.renderer = ValidationResultsPageRenderer()
        # One view for the process's life: its Jinja environment compiles each template once.
        self.view = DefaultJinjaPageView()

    def write(self, identifier: ValidationResultIdentifier, validation: Any) -> Path:
        """The page's path. The result reaches the store whole, after its page, so that the
        index (which another process may rebuild meanwhile) lists no half-written result and no
        result without a page."""
        self.docs_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.docs_dir, prefix=".result-") as staged:
            stored = Path(
                ValidationResultsStore(
                    store_backend={
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": staged,
                    }
                ).set(identifier, validation)
            )
            page = self.view.render(self.renderer.render(validation), show_how_to_buttons=False)
            self.pages.set(
                SiteSectionIdentifier(
                    site_section_name=VALIDATIONS, resource_identifier=identifier
                ),
                page,
            )
            kept = self.docs_dir / RESULTS / stored.relative_to(staged)
            kept.parent.mkdir(parents=True, exist_ok=True)
            stored.replace(kept)
        url = self.pages.get_url_for_resource(resource_identifier=identifier)
        return Path(url.removeprefix("file://"))


@functools.cache
def _page_writer(docs_dir: Path) -> _PageWriter:
    return _PageWriter(docs_dir)


def _write_docs(docs_dir: Path, suite: Suite, validation: Any, batch: str) -> tuple[Path, Path]:
    """Store the result for the index and render its own page; the index is left to
    refresh_data_docs_index."""
    run_time = datetime.now(UTC)
    identifier = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
        run_id=RunIdentifier(run_name=run_time.strftime(_RUN_NAME), run_time=run_time),
        batch_identifier=batch,
    )
    page = _page_writer(docs_dir.resolve()).write(identifier, validation)
    return page, docs_dir / INDEX_PAGE


def _prune(docs: Path) -> None:
    """Delete the stored results and pages of all but the newest KEPT_VALIDATIONS validations.

    GE reads every stored result and lists every page to build the index: without a bound, each
    run would cost more than the one before. Run names are UTC timestamps, so a validation's age
    is in its path (<suite>/<run name>/<run time>/<batch>.json, its page the same path in .html).
    """
    results = docs / RESULTS
    stored = sorted(results.rglob("*.json"), key=lambda path: path.parts[-3:-1], reverse=True)
    for path in stored[KEPT_VALIDATIONS:]:
        page = docs / VALIDATIONS / path.relative_to(results).with_suffix(".html")
        for old in (path, page):
            old.unlink(missing_ok=True)
            for folder in old.parents[:3]:  # the run's folders, once empty
                if any(folder.iterdir()):
                    break
                folder.rmdir()


def data_docs_index_is_stale(docs_dir: Path | None = None) -> bool:
    """A validation result is newer than the index (or there is no index yet)."""
    docs = docs_dir or settings.data_docs_dir()
    results = [p.stat().st_mtime for p in (docs / RESULTS).rglob("*.json")]
    index = docs / INDEX_PAGE
    return bool(results) and (not index.is_file() or max(results) > index.stat().st_mtime)


def refresh_data_docs_index(docs_dir: Path | None = None) -> Path | None:
    """Rebuild the Data Docs index over the newest INDEX_RESULTS validations; its path, or None
    when nothing was ever validated. Called once per run (the CLI, the Data Docs sensor)."""
    docs = docs_dir or settings.data_docs_dir()
    if not (docs / RESULTS).is_dir():
        return None
    _prune(docs)
    _context(docs).build_data_docs(site_names=[SITE], resource_identifiers=[_NO_PAGE])
    return docs / INDEX_PAGE


def validate(
    suite: Suite,
    source: DuckDBSource,
    *,
    partition: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    docs_dir: Path | None | Callable[[], Path] = settings.data_docs_dir,
) -> SuiteOutcome:
    """Run `suite` on its relation (one partition's rows, when given) and report value-free."""
    started = time.perf_counter()
    docs = docs_dir() if callable(docs_dir) else docs_dir
    context = _context(None)
    # GE connects more than once (its connection test, then the validation): the database is
    # opened once, and each connection GE asks for is a cursor of it.
    database: list[duckdb.DuckDBPyConnection] = []
    opened: list[_SeparateCursors] = []

    def connect() -> _SeparateCursors:
        if not database:
            database.append(source.connect())
        opened.append(_SeparateCursors(database[0].cursor()))
        return opened[-1]

    datasource = context.data_sources.add_sql(
        name="warehouse", connection_string="duckdb:///", kwargs={"creator": connect}
    )
    try:
        asset = datasource.add_query_asset(suite.name, query=batch_query(suite, partition))
        batch = asset.add_batch_definition_whole_table("whole")
        # The suite runs on the batch directly, as a validation definition's run does, without
        # adding the suite and a definition to the context's stores and storing the result there
        # (serialized each time, for a context that ends with this call).
        validator = Validator(
            batch_definition=batch,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": list(suite.row_key),
                "partial_unexpected_count": KEPT_UNEXPECTED,
            },
        )
        validation = validator.validate_expectation_suite(
            gx.ExpectationSuite(
                name=suite.name,
                expectations=[e.configuration for e in suite.suite.expectations],
                meta=suite.suite.meta,
            ),
            dict(parameters or {}),
        )
        run_id = RunIdentifier(run_time=datetime.now(UTC))
        validation.meta.update(
            validation_id=str(uuid.uuid4()),
            checkpoint_id=None,
            run_id=run_id,
            validation_time=run_id.run_time,
            batch_parameters=None,
        )
    finally:
        datasource.get_execution_engine().close()
        for connection in [*opened, *database]:
            connection.close()
    _sanitize(suite, validation)
    page = index = None
    if docs is not None:
        page, index = _write_docs(
            docs, suite, validation, f"partition-{partition}" if partition else "all"
        )
    results: list[ExpectationOutcome] = [outcome_of(r, suite) for r in validation.results]
    return SuiteOutcome(
        suite=suite.name,
        relation=suite.relation,
        partition=partition,
        results=results,
        data_docs=page,
        data_docs_index=index,
        seconds=time.perf_counter() - started,
    )
