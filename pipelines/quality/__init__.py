"""Validation with Great Expectations: suites as files, run against DuckDB, Data Docs, summaries.

This package knows suites and tables, not releases: the check of a staged release folder
(`validate_published`) is the release's, in `pipelines/release/validation.py`, built on it.
"""

from pipelines.quality.outcome import ExpectationOutcome, SuiteOutcome, ValidationFailed
from pipelines.quality.runner import (
    DuckDBSource,
    data_docs_index_is_stale,
    refresh_data_docs_index,
    validate,
)
from pipelines.quality.suites import Suite, SuiteError, load_suite, load_suites

__all__ = [
    "DuckDBSource",
    "ExpectationOutcome",
    "Suite",
    "SuiteError",
    "SuiteOutcome",
    "ValidationFailed",
    "data_docs_index_is_stale",
    "load_suite",
    "load_suites",
    "refresh_data_docs_index",
    "validate",
]
