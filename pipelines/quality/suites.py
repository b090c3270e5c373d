"""Expectation suites as files: `expectations/<schema>.<table>.yml`, one per guarded table.

Each file is a Great Expectations ExpectationSuite (name, meta, expectations) in YAML. What the
pipeline needs beyond GE's own fields sits in `meta`:

- suite `meta.row_key`: columns that name an offending row in reports (never personal data);
- suite `meta.private_columns`: columns whose values are never echoed (raw and scrubbed tables
  add the contract's text and identifier columns on their own);
- suite `meta.partition_column`: a partitioned asset's check validates only that partition's rows;
- each expectation's `meta.severity`: `error` (a failure blocks everything downstream) or
  `warning` (shown, does not block). A suite with any `error` expectation is a blocking check.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import great_expectations as gx
import yaml
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from great_expectations.expectations.metadata_types import FailureSeverity

from pipelines import settings
from pipelines.contract.tables import TABLES
from pipelines.yaml_text import compose_yaml, load_yaml

SEVERITIES = ("error", "warning")
PUBLISHED_SCHEMA = "published"
_CONTRACT_SCHEMAS = ("raw", "scrubbed")
_COLUMN_KWARGS = ("column", "column_A", "column_B")


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file, line and field."""


@dataclass(frozen=True)
class Suite:
    """One suite file, parsed: the GE suite plus what the checks need to run and report it."""

    path: Path
    suite: gx.ExpectationSuite
    severities: tuple[str, ...]
    """Severity of each expectation, in file order."""
    row_key: tuple[str, ...]
    private_columns: frozenset[str]
    partition_column: str | None
    description: str

    @property
    def name(self) -> str:
        return self.suite.name

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def relation(self) -> str:
        return f'{self.schema}."{self.table}"'

    @property
    def asset_key(self) -> list[str]:
        """The asset whose table this is: dbt marts in `main` are keyed by the model name."""
        return [self.table] if self.schema == "main" else [self.schema, self.table]

    @property
    def blocking(self) -> bool:
        return "error" in self.severities


def _expectation_lines(text: str) -> list[int]:
    """1-based line of each item of `expectations`, for error messages."""
    root = compose_yaml(text)
    for key, value in getattr(root, "value", []):
        if key.value == "expectations" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def expectation_columns(kwargs: dict[str, Any]) -> set[str]:
    """The columns an expectation reads, as named in its arguments."""
    columns = {kwargs[k] for k in _COLUMN_KWARGS if isinstance(kwargs.get(k), str)}
    columns.update(kwargs.get("column_list") or [])
    return columns


def load_suite(path: Path) -> Suite:
    """Parse and check one suite file; GE validates each expectation's type and arguments."""
    text = path.read_text(encoding="utf-8")
    try:
        document = load_yaml(text)
    except yaml.YAMLError as error:
        raise SuiteError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("expectations"), list):
        raise SuiteError(f"{path}: a suite needs `name`, `meta` and a list `expectations`")
    name = document.get("name")
    if name != path.stem:
        raise SuiteError(
            f"{path}: field name is {name!r}; it must equal the file name {path.stem!r}"
        )
    if name.count(".") != 1:
        raise SuiteError(f"{path}: field name must be <schema>.<table>, got {name!r}")
    schema, table = name.split(".")
    meta = document.get("meta") or {}
    lines = _expectation_lines(text)

    private = set(meta.get("private_columns") or [])
    if schema in _CONTRACT_SCHEMAS:
        if table not in TABLES:
            raise SuiteError(f"{path}: {table!r} is not a contract table (pipelines/contract)")
        private.update(TABLES[table].text_columns, TABLES[table].identifier_columns)

    expectations, severities = [], []
    for index, item in enumerate(document["expectations"]):
        where = f"{path}:{lines[index] if index < len(lines) else '?'}"
        if not isinstance(item, dict) or "type" not in item:
            raise SuiteError(f"{where}: an expectation needs `type` and `kwargs`")
        severity = (item.get("meta") or {}).get("severity")
        if severity not in SEVERITIES:
            raise SuiteError(
                f"{where}: {item['type']}: field meta.severity must be one of {SEVERITIES}, "
                f"got {severity!r}"
            )
        try:
            expectation = ExpectationConfiguration(
                type=item["type"],
                kwargs=item.get("kwargs") or {},
                meta=item.get("meta"),
                description=item.get("description"),
                severity=FailureSeverity.CRITICAL
                if severity == "error"
                else FailureSeverity.WARNING,
            ).to_domain_obj()
        except Exception as error:  # GE raises several types for a bad type or argument
            raise SuiteError(f"{where}: {item['type']}: {error}") from None
        expectations.append(expectation)
        severities.append(severity)

    return Suite(
        path=path,
        suite=gx.ExpectationSuite(name=name, expectations=expectations, meta=meta),
        severities=tuple(severities),
        row_key=tuple(meta.get("row_key") or ()),
        private_columns=frozenset(private),
        partition_column=meta.get("partition_column"),
        description=str(meta.get("description", "")).strip(),
    )


@functools.cache
def load_suites(directory: Path = settings.EXPECTATIONS_DIR) -> dict[str, Suite]:
    """Every suite of the folder, by name (`raw.stage2_judgments`, `main.users`, ...)."""
    suites = [load_suite(path) for path in sorted(directory.glob("*.yml"))]
    return {suite.name: suite for suite in suites}
