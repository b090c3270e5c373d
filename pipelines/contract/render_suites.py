"""The raw Great Expectations suites' contract part: columns, types, keys, allowed values, ranges
and required columns of each raw table, as `expectations/raw.<table>.yml` states them.

A suite file holds the generated part first, then the line `HAND_WRITTEN`, then the suite's own
expectations (timestamps in a window, shares of labels, ...), which `generate` keeps as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.contract.declaration import CONTRACT, Column, TableSpec
from pipelines.contract.render_yaml import dump

GENERATED_BY = "python -m pipelines.contract generate"
HAND_WRITTEN = "  # --- hand-written: this suite's own expectations, kept by generate ---"
_HEADER = f"""\
# A raw table of the contract. Everything above the hand-written line is generated from
# pipelines/contract/contract.yml by `{GENERATED_BY}`:
# edit the contract, not this part.
"""
# How DuckDB's `describe` names each type of the declaration.
_DESCRIBED = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}
_GROUPED_UNIQUE = (
    "one row per ({keys}); checked with a grouping, which DuckDB spills to disk; GE's "
    "compound-unique check is a window over every column, which does not fit the memory cap on "
    "large tables"
)


def _item(kind: str, kwargs: dict[str, Any], severity: str, description: str = "") -> dict:
    item: dict[str, Any] = {"type": kind}
    if description:
        item["description"] = description
    item["kwargs"] = kwargs
    item["meta"] = {"severity": severity}
    return item


def _types(spec: TableSpec) -> dict:
    values = ",\n    ".join(
        f"('{c.name}', '{_DESCRIBED.get(c.duckdb_type, c.duckdb_type)}')"
        for c in spec.columns.values()
    )
    query = (
        f"with expected(column_name, column_type) as (values\n    {values})\n"
        "select expected.column_name, expected.column_type, found.column_type as found_type\n"
        "from expected left join (describe select * from {batch}) found using (column_name)\n"
        "where found.column_type is distinct from expected.column_type\n"
    )
    return _item(
        "unexpected_rows_expectation",
        {"unexpected_rows_query": query},
        "error",
        "column types are the contract's (pipelines/contract/contract.yml)",
    )


def _column_expectations(column: Column) -> list[dict]:
    items = []
    vocabulary = CONTRACT.vocabularies.get(column.vocabulary or "")
    if vocabulary is not None and vocabulary.values:
        kwargs = {"column": column.name, "value_set": list(vocabulary.values)}
        items.append(_item("expect_column_values_to_be_in_set", kwargs, "error"))
    bounds = {
        name: column.constraints[key]
        for key, name in (("min", "min_value"), ("max", "max_value"))
        if key in column.constraints
    }
    if bounds:
        kwargs = {"column": column.name, **bounds}
        items.append(_item("expect_column_values_to_be_between", kwargs, "error"))
    if column.role == "text" and column.constraints.get("min_length"):
        kwargs = {"column": column.name, "min_value": column.constraints["min_length"]}
        items.append(
            _item("expect_column_value_lengths_to_be_between", kwargs, "error", "never empty")
        )
    return items


def contract_expectations(spec: TableSpec) -> list[dict]:
    """What the contract says of one raw table, as Great Expectations expectations."""
    columns = [*spec.columns, *CONTRACT.lineage]
    items = [
        _item(
            "expect_table_columns_to_match_set",
            {"column_set": columns, "exact_match": True},
            "error",
        ),
        _types(spec),
        _item(
            "expect_table_row_count_to_be_between",
            {"min_value": 1},
            "warning",
            "a drop may omit an export, but an empty table is worth a look",
        ),
    ]
    required = [c.name for c in spec.columns.values() if c.not_null]
    if required:
        where = "\n   or ".join(f'"{name}" is null' for name in required)
        items.append(
            _item(
                "unexpected_rows_expectation",
                {"unexpected_rows_query": f"select _file, _line from {{batch}}\nwhere {where}\n"},
                "error",
                f"required columns hold a value: {', '.join(required)}",
            )
        )
    if len(spec.key) == 1:
        items.append(_item("expect_column_values_to_be_unique", {"column": spec.key[0]}, "error"))
    else:
        keys = ", ".join(spec.key)
        query = (
            "select b._file, b._line from {batch} as b\n"
            f"semi join (select {keys} from {{batch}} as k group by all having count(*) > 1)"
            f" as d\nusing ({keys})\n"
        )
        items.append(
            _item(
                "unexpected_rows_expectation",
                {"unexpected_rows_query": query},
                "error",
                _GROUPED_UNIQUE.format(keys=keys),
            )
        )
    for column in spec.columns.values():
        items.extend(_column_expectations(column))
    return items


class MissingMarker(ValueError):
    """A suite file without the hand-written line: rewriting it would lose its own checks."""


def render_suite(spec: TableSpec, current: str | None, path: Path | None = None) -> str:
    """The suite file of one raw table, keeping what follows `HAND_WRITTEN` in `current` (the
    file as it is, None for a new table)."""
    head = {
        "name": f"raw.{spec.name}",
        "meta": {
            "description": f"Raw {spec.name} of one drop. {spec.description}",
            "partition_column": "_drop_id",
            "row_key": ["_file", "_line"],
        },
    }
    kept = ""
    if current is not None:
        if HAND_WRITTEN + "\n" not in current:
            raise MissingMarker(
                f"{path}: no line {HAND_WRITTEN.strip()!r}; put it above the suite's own "
                "expectations (or at the end of `expectations:` if it has none)"
            )
        kept = current.split(HAND_WRITTEN + "\n", 1)[1]
    return (
        _HEADER
        + dump(head)
        + "expectations:\n"
        + dump(contract_expectations(spec), indent=2)
        + HAND_WRITTEN
        + "\n"
        + kept
    )


def suite_files(root: Path) -> dict[Path, str]:
    """Every raw suite file under `root`, as it should read."""
    files = {}
    for spec in CONTRACT.tables.values():
        path = root / "expectations" / f"raw.{spec.name}.yml"
        current = path.read_text(encoding="utf-8") if path.exists() else None
        files[path] = render_suite(spec, current, path)
    return files
