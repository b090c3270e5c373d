"""Validation with Great Expectations: suites as files, run against DuckDB, Data Docs, summaries.

`validate_published` is what the release calls on a staged release folder before publishing it.
"""

from pipelines.quality.outcome import ExpectationOutcome, SuiteOutcome, ValidationFailed
from pipelines.quality.published import validate_published
from pipelines.quality.runner import DuckDBSource, validate
from pipelines.quality.suites import Suite, SuiteError, load_suite, load_suites

__all__ = [
    "DuckDBSource",
    "ExpectationOutcome",
    "Suite",
    "SuiteError",
    "SuiteOutcome",
    "ValidationFailed",
    "load_suite",
    "load_suites",
    "validate",
    "validate_published",
]
