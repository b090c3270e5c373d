"""dbt's staging layer as the contract states it: the `scrubbed` source (`__sources.yml`), one
staging view per table (`stg_<table>.sql`: every staged column, renamed and typed as the column's
`staging` says) and its tests (`_staging.yml`): required columns not null, the key unique, each
closed vocabulary's values accepted, each reference a relationship, and the column's own tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.contract.declaration import CONTRACT, Column, TableSpec
from pipelines.contract.render_yaml import dump

GENERATED = (
    "Generated from pipelines/contract/contract.yml by `python -m pipelines.contract generate`;\n"
    "edit the contract, not this file."
)
_SOURCE_DESCRIPTION = (
    "The privacy stage's output: the raw-data contract's tables (pipelines/contract/contract.yml) "
    "with free text scrubbed into placeholders and person identifiers turned into keyed hashes. "
    "Every row carries its lineage (_drop_id, _file, _line). Written by the Dagster assets "
    '["scrubbed", <table>].'
)
# The largest range of integers a staging test lists as accepted values (a rating scale).
_LISTED_RANGE = 10


def _comment(prefix: str) -> str:
    return "".join(f"{prefix} {line}\n" for line in GENERATED.splitlines())


def _staged(spec: TableSpec) -> list[Column]:
    return [c for c in spec.columns.values() if c.staging and c.staging.name]


def _staged_name(table: str, column: str) -> str:
    staging = CONTRACT.tables[table].columns[column].staging
    return (staging.name if staging else None) or column


def sources_yml() -> str:
    tables = [
        {
            "name": spec.name,
            "description": spec.description,
            "columns": [
                *(
                    {"name": c.name, "description": c.published_description}
                    for c in spec.columns.values()
                ),
                *(
                    {"name": n, "description": s["description"]}
                    for n, s in CONTRACT.lineage.items()
                ),
            ],
        }
        for spec in CONTRACT.tables.values()
    ]
    document = {
        "version": 2,
        "sources": [
            {
                "name": "scrubbed",
                "description": _SOURCE_DESCRIPTION,
                "schema": "scrubbed",
                "tables": tables,
            }
        ],
    }
    return _comment("#") + dump(document)


def _column_tests(spec: TableSpec, column: Column) -> list[Any]:
    tests: list[Any] = []
    if spec.key == (column.name,):
        tests.append("unique")
    if column.references:
        table, target = column.references
        field = _staged_name(table, target)
        tests.append(
            {"relationships": {"arguments": {"to": f"ref('stg_{table}')", "field": field}}}
        )
    vocabulary = CONTRACT.vocabularies.get(column.vocabulary or "")
    values: list[Any] = list(vocabulary.values) if vocabulary and vocabulary.values else []
    low, high = column.constraints.get("min"), column.constraints.get("max")
    bounded = column.type == "integer" and low is not None and high is not None
    if bounded and high - low <= _LISTED_RANGE:
        values = list(range(int(low), int(high) + 1))
    if values:
        tests.append({"accepted_values": {"arguments": {"values": values}}})
    assert column.staging is not None
    tests.extend(column.staging.tests)
    return tests


def _model(spec: TableSpec) -> dict[str, Any]:
    staged = _staged(spec)
    names = [c.staging.name for c in staged if c.staging]
    not_null = [c.staging.name for c in staged if c.not_null and c.staging]
    model_tests: list[Any] = [
        {"not_null_columns": {"arguments": {"columns": [*not_null, "drop_id"]}}}
    ]
    if len(spec.key) > 1:
        key = [_staged_name(spec.name, k) for k in spec.key]
        model_tests.append({"unique_combination": {"arguments": {"columns": key}}})
    columns = []
    for column, name in zip(staged, names, strict=True):
        assert column.staging is not None
        entry: dict[str, Any] = {
            "name": name,
            "description": column.staging.description or column.published_description,
        }
        tests = _column_tests(spec, column)
        if tests:
            entry["data_tests"] = tests
        columns.append(entry)
    columns.append({"name": "drop_id", "description": "The drop the row was last delivered in."})
    keys = ", ".join(spec.key)
    return {
        "name": f"stg_{spec.name}",
        "description": f"{spec.description} One row per ({keys}), its latest delivery.",
        "data_tests": model_tests,
        "columns": columns,
    }


def staging_yml() -> str:
    header = (
        "# Staging: one view per scrubbed table, renamed and typed. A key delivered again in a\n"
        "# later drop has already replaced its earlier row in `scrubbed`\n"
        "# (contract.tables.Table.replace_drop), so each key is one row here; the unique tests\n"
        "# hold it to that.\n"
    )
    document = {"version": 2, "models": [_model(spec) for spec in CONTRACT.tables.values()]}
    return _comment("#") + header + dump(document)


def staging_sql(spec: TableSpec) -> str:
    lines = []
    for column in _staged(spec):
        assert column.staging is not None and column.staging.name is not None
        sql, name = column.staging.sql, column.staging.name
        lines.append(sql if sql == name else f"{sql} as {name}")
    lines.append("_drop_id as drop_id")
    selected = ",\n".join(f"        {line}" for line in lines)
    return (
        _comment("--")
        + "with\n"
        + f"source as ( select * from {{{{ source('scrubbed', '{spec.name}') }}}} ),\n"
        + "renamed as (\n    select\n"
        + selected
        + "\n    from source\n)\nselect * from renamed\n"
    )


def vocabularies_macro() -> str:
    """`contract_values('<vocabulary>')`: a closed vocabulary's values, for the tests of models
    past staging (`accepted_values: {arguments: {values: "{{ contract_values('label') }}"}}`),
    so the values are listed in the contract alone."""
    closed = {name: list(v.values) for name, v in CONTRACT.vocabularies.items() if v.values}
    entries = ",\n".join(f"        {name!r}: {values!r}" for name, values in closed.items())
    return (
        "{#- "
        + GENERATED.replace("\n", "\n    ")
        + "\n\n    The values of each closed vocabulary of the contract, by name; dbt renders\n"
        + "    `values: \"{{ contract_values('failure_category') }}\"` in a test's arguments as\n"
        + "    that list.\n-#}\n"
        + "{% macro contract_values(vocabulary) -%}\n"
        + "    {%- set vocabularies = {\n"
        + entries
        + "\n    } -%}\n"
        + "    {{- return(vocabularies[vocabulary]) -}}\n"
        + "{%- endmacro %}\n"
    )


def dbt_files(root: Path) -> dict[Path, str]:
    staging = root / "dbt" / "models" / "staging"
    files = {
        staging / "__sources.yml": sources_yml(),
        staging / "_staging.yml": staging_yml(),
        root / "dbt" / "macros" / "contract_values.sql": vocabularies_macro(),
    }
    for spec in CONTRACT.tables.values():
        files[staging / f"stg_{spec.name}.sql"] = staging_sql(spec)
    return files
