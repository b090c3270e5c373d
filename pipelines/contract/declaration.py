"""The contract's one declaration, `contract.yml`, read and checked into plain objects.

Everything else in `pipelines/contract/` derives from these objects: the pydantic models, the
DuckDB tables, and the files `python -m pipelines.contract generate` renders for other tools. A
mistake in the declaration stops the import with the file, the table and the column named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines.yaml_text import load_yaml

CONTRACT_FILE = Path(__file__).with_name("contract.yml")

# The declaration's column types: the DuckDB type each one lands as.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "INTEGER",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "datetime": "TIMESTAMPTZ",
    "string_list": "VARCHAR[]",
    "string_map": "JSON",
    "object_list": "JSON",
}
# DuckDB types that hold strings: every column of one of them has a role.
STRING_TYPES = ("VARCHAR", "VARCHAR[]", "JSON")
ROLES = ("text", "identifier", "vocabulary")
SCOPES = ("user", "conversation", "attribute", "annotator", "global")
_COLUMN_FIELDS = {
    "type",
    "required",
    "default",
    "not_null",
    "role",
    "vocabulary",
    "format",
    "min_length",
    "max_length",
    "pattern",
    "min",
    "max",
    "references",
    "record",
    "derive",
    "description",
    "published",
    "staging",
    "items",
    "model",
}
_TABLE_FIELDS = {"model", "file", "description", "key", "rules", "scope", "part_of", "columns"}
_ITEM_TYPES = {"string": "string", "integer": "integer", "integer_list": "integer_list"}


class ContractError(ValueError):
    """The declaration is wrong; the message names the file, table and column."""


@dataclass(frozen=True)
class VocabularySpec:
    name: str
    description: str
    values: tuple[str, ...] = ()
    pattern: str | None = None
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Staging:
    """How dbt's staging view shows a column; `name` is None where it is not staged."""

    name: str | None
    sql: str
    description: str | None = None
    tests: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = False
    default: Any = None
    not_null: bool = False
    role: str | None = None
    vocabulary: str | None = None
    constraints: dict[str, Any] = field(default_factory=dict)
    """min_length, max_length, pattern (strings); min, max (numbers)."""
    references: tuple[str, str] | None = None
    record: bool = True
    derive: str | None = None
    published: str | None = None
    staging: Staging | None = None
    items: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """object_list: each object's fields, (type, required)."""
    model: str | None = None

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]

    @property
    def published_description(self) -> str:
        """What the column holds once scrubbed (dbt's sources and staging)."""
        text = self.published or self.description
        return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@dataclass(frozen=True)
class TableSpec:
    name: str
    model: str
    description: str
    key: tuple[str, ...]
    columns: dict[str, Column]
    scope: str
    file: str | None = None
    rules: tuple[str, ...] = ()
    part_of: dict[str, Any] | None = None
    """{table, field, index, min_items}: the rows come as the list `field` of the parent's
    records; `index` is the position column."""


@dataclass(frozen=True)
class Declaration:
    tables: dict[str, TableSpec]
    vocabularies: dict[str, VocabularySpec]
    identifiers: dict[str, dict[str, Any]]
    lineage: dict[str, dict[str, str]]
    formats: dict[str, dict[str, Any]]


def _fail(where: str, message: str) -> ContractError:
    return ContractError(f"{CONTRACT_FILE.name}: {where}: {message}")


def _staging(where: str, name: str, kind: str, raw: Any) -> Staging:
    if raw is False:
        return Staging(name=None, sql="")
    raw = raw or {}
    unknown = set(raw) - {"name", "sql", "description", "tests"}
    if unknown:
        raise _fail(where, f"staging has unknown fields {sorted(unknown)}")
    staged = raw.get("name", name)
    sql = raw.get("sql") or name
    if raw.get("sql") is None and kind == "datetime":
        sql = f'cast("{name}" as timestamptz)'
    return Staging(staged, sql, raw.get("description"), tuple(raw.get("tests") or ()))


def _column(
    where: str, name: str, raw: dict[str, Any], formats: dict[str, dict[str, Any]]
) -> Column:
    if not isinstance(raw, dict):
        raise _fail(where, "a column is a mapping of its fields")
    unknown = set(raw) - _COLUMN_FIELDS
    if unknown:
        raise _fail(where, f"unknown fields {sorted(unknown)} (known: {sorted(_COLUMN_FIELDS)})")
    kind = raw.get("type")
    if kind not in DUCKDB_TYPES:
        raise _fail(where, f"type {kind!r} is not one of {sorted(DUCKDB_TYPES)}")
    if not raw.get("description"):
        raise _fail(where, "needs a description")
    constraints = dict(formats[raw["format"]]) if "format" in raw else {}
    if "format" in raw and raw["format"] not in formats:
        raise _fail(where, f"format {raw['format']!r} is not declared under formats")
    constraints.update(
        {k: raw[k] for k in ("min_length", "max_length", "pattern", "min", "max") if k in raw}
    )
    required = bool(raw.get("required", False))
    default = raw.get("default")
    scalar_default = default is not None and not isinstance(default, list)
    references = None
    if "references" in raw:
        table, _, column = str(raw["references"]).partition(".")
        references = (table, column)
    items = {
        item: (spec["type"], bool(spec.get("required", False)))
        for item, spec in (raw.get("items") or {}).items()
    }
    for item, (item_type, _) in items.items():
        if item_type not in _ITEM_TYPES:
            raise _fail(f"{where}.items.{item}", f"type {item_type!r} not in {sorted(_ITEM_TYPES)}")
    return Column(
        name=name,
        type=kind,
        description=" ".join(str(raw["description"]).split()),
        required=required,
        default=default,
        not_null=bool(raw.get("not_null", required or scalar_default)),
        role=raw.get("role"),
        vocabulary=raw.get("vocabulary"),
        constraints=constraints,
        references=references,
        record=bool(raw.get("record", True)),
        derive=raw.get("derive"),
        published=" ".join(str(raw["published"]).split()) if raw.get("published") else None,
        staging=_staging(where, name, kind, raw.get("staging")),
        items=items,
        model=raw.get("model"),
    )


def _check_table(spec: TableSpec, declaration: Declaration) -> None:
    for column in spec.columns.values():
        where = f"tables.{spec.name}.{column.name}"
        is_string = column.duckdb_type in STRING_TYPES
        if is_string and column.role not in ROLES:
            raise _fail(where, f"a string column needs a role, one of {ROLES}")
        if not is_string and column.role is not None:
            raise _fail(where, f"holds no string, so it has no role (got {column.role!r})")
        if (column.role == "vocabulary") != (column.vocabulary is not None):
            raise _fail(where, "a vocabulary column, and only one, names its `vocabulary`")
        if column.vocabulary and column.vocabulary not in declaration.vocabularies:
            raise _fail(where, f"vocabulary {column.vocabulary!r} is not declared")
        if column.role == "identifier" and column.name not in declaration.identifiers:
            raise _fail(where, "an identifier column needs an entry under `identifiers`")
        if column.references:
            table, target = column.references
            if target not in getattr(declaration.tables.get(table), "columns", {}):
                raise _fail(where, f"references {table}.{target}, which is not declared")
        if column.type == "object_list" and not (column.items and column.model):
            raise _fail(where, "an object_list declares its `items` and their `model`")
    for key in spec.key:
        if key not in spec.columns:
            raise _fail(f"tables.{spec.name}.key", f"{key!r} is not a column")
    if spec.scope not in SCOPES:
        raise _fail(f"tables.{spec.name}.scope", f"{spec.scope!r} is not one of {SCOPES}")
    if (spec.file is None) == (spec.part_of is None):
        raise _fail(f"tables.{spec.name}", "a table has a `file` or is `part_of` another")


def load(path: Path = CONTRACT_FILE) -> Declaration:
    """Read and check the declaration."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContractError(f"{path}: not valid YAML: {error}") from None
    formats = raw.get("formats") or {}
    vocabularies = {}
    for name, spec in (raw.get("vocabularies") or {}).items():
        values = tuple(str(v) for v in spec.get("values") or ())
        if bool(values) == bool(spec.get("pattern")):
            raise _fail(f"vocabularies.{name}", "a vocabulary has `values` or a `pattern`")
        if spec.get("pattern"):
            re.compile(spec["pattern"])
        description = spec.get("description") or f"one of {', '.join(values)}"
        vocabularies[name] = VocabularySpec(
            name,
            " ".join(description.split()),
            values,
            spec.get("pattern"),
            tuple(spec.get("examples") or ()),
        )
    tables = {}
    for name, spec in (raw.get("tables") or {}).items():
        unknown = set(spec) - _TABLE_FIELDS
        if unknown:
            raise _fail(f"tables.{name}", f"unknown fields {sorted(unknown)}")
        columns = {
            column: _column(f"tables.{name}.{column}", column, body, formats)
            for column, body in (spec.get("columns") or {}).items()
        }
        tables[name] = TableSpec(
            name=name,
            model=spec["model"],
            description=" ".join(str(spec["description"]).split()),
            key=tuple(spec["key"]),
            columns=columns,
            scope=spec.get("scope", "global"),
            file=spec.get("file"),
            rules=tuple(spec.get("rules") or ()),
            part_of=spec.get("part_of"),
        )
    declaration = Declaration(
        tables=tables,
        vocabularies=vocabularies,
        identifiers=raw.get("identifiers") or {},
        lineage=raw.get("lineage") or {},
        formats=formats,
    )
    for spec in tables.values():
        _check_table(spec, declaration)
    return declaration


CONTRACT = load()
