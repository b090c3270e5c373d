"""What a suite run found, in words a maintainer reads first: table, expectation, column, counts,
a few row keys. Values of private columns never appear (the runner has already removed them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.quality.suites import Suite, expectation_columns
from pipelines.text_format import markdown_table

SHOWN_ROW_KEYS = 5
SHOWN_VALUES = 5


class ValidationFailed(Exception):
    """A blocking (error-severity) expectation failed; the message says which and where."""


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    columns: tuple[str, ...]
    severity: str
    success: bool
    observed: str
    row_keys: tuple[str, ...] = ()
    notes: str = ""

    @property
    def where(self) -> str:
        return f"column {', '.join(self.columns)}" if self.columns else "table"

    def line(self, table: str) -> str:
        keys = f"; rows {', '.join(self.row_keys)}" if self.row_keys else ""
        note = f" ({self.notes})" if self.notes else ""
        return (
            f"[{self.severity}] {table}: {self.expectation} on {self.where}{note}: "
            f"{self.observed}{keys}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.expectation,
            "columns": list(self.columns),
            "severity": self.severity,
            "observed": self.observed,
            "row_keys": list(self.row_keys),
        }


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    relation: str
    partition: str | None
    results: list[ExpectationOutcome]
    data_docs: Path | None
    data_docs_index: Path | None
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success]

    @property
    def errors(self) -> list[ExpectationOutcome]:
        return [r for r in self.failures if r.severity == "error"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [r for r in self.failures if r.severity == "warning"]

    @property
    def success(self) -> bool:
        return not self.failures

    @property
    def table(self) -> str:
        where = f" (partition {self.partition})" if self.partition else ""
        return f"{self.suite}{where}"

    def message(self) -> str:
        """One line per failed expectation, errors first; or what passed."""
        if self.success:
            return f"{self.table}: all {len(self.results)} expectations passed."
        head = (
            f"{self.table}: {len(self.failures)} of {len(self.results)} expectations failed "
            f"({len(self.errors)} error, {len(self.warnings)} warning)."
        )
        return "\n".join([head, *(r.line(self.suite) for r in self.errors + self.warnings)])

    def markdown(self) -> str:
        if self.success:
            return f"All {len(self.results)} expectations passed."
        return markdown_table(
            ["severity", "expectation", "column", "observed", "offending rows"],
            (
                [
                    r.severity,
                    r.expectation + (f" ({r.notes})" if r.notes else ""),
                    ", ".join(r.columns) or "(table)",
                    r.observed,
                    ", ".join(r.row_keys),
                ]
                for r in self.errors + self.warnings
            ),
        )


def _row_key(row: Any, key: tuple[str, ...]) -> str:
    if not isinstance(row, dict):
        return str(row)
    names = [k for k in key if k in row] or list(row)
    return " ".join(f"{k}={row[k]}" for k in names)


def _short(value: Any, limit: int = 160) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def exception_infos(exception_info: dict[str, Any] | None) -> list[dict[str, Any]]:
    """GE gives one exception info, or one per failed metric: always a list of them."""
    if not exception_info:
        return []
    if "raised_exception" in exception_info:
        return [exception_info]
    return [info for info in exception_info.values() if isinstance(info, dict)]


def outcome_of(validation_result: Any, suite: Suite) -> ExpectationOutcome:
    """Summarize one GE expectation result (already value-free for private columns)."""
    config = validation_result.expectation_config
    result = validation_result.result or {}
    columns = tuple(sorted(expectation_columns(config.kwargs)))
    private = bool(set(columns) & suite.private_columns)
    raised = [
        i for i in exception_infos(validation_result.exception_info) if i.get("raised_exception")
    ]
    if raised:
        observed = f"could not be evaluated: {_short(raised[0].get('exception_message'))}"
    elif "unexpected_count" in result:
        observed = f"{result['unexpected_count']} of {result.get('element_count')} rows unexpected"
        if result.get("unexpected_percent") is not None and result["unexpected_count"]:
            observed += f" ({result['unexpected_percent']:.2f}%)"
        counts = result.get("partial_unexpected_counts") or []
        if counts and not private:
            observed += "; values " + ", ".join(
                f"{_short(c['value'], 40)} ({c['count']})" for c in counts[:SHOWN_VALUES]
            )
    elif config.type == "unexpected_rows_expectation":
        observed = f"{result.get('observed_value')} unexpected rows"
    elif "observed_value" in result:
        observed = f"observed {_short(result['observed_value'])}"
    else:
        observed = "no observed value"
    rows = result.get("partial_unexpected_index_list") or (
        (result.get("details") or {}).get("unexpected_rows") or []
    )
    notes = config.description or ""
    return ExpectationOutcome(
        expectation=config.type,
        columns=columns,
        severity=config.meta.get("severity", "error"),
        success=bool(validation_result.success),
        observed=observed,
        row_keys=tuple(_row_key(row, suite.row_key) for row in rows[:SHOWN_ROW_KEYS])
        if not validation_result.success
        else (),
        notes=_short(" ".join(str(notes).split()), 200),
    )
