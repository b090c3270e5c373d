"""The raw-data contract as pydantic models: one per export file, built from `contract.yml`.

Every record of a drop is validated against these models at ingest; a record that fails lands in
the quarantine table with the file, line and field named. The fields, types, allowed values and
constraints come from the declaration; the rules that tie fields together (a rejected label's
failure category, an LLM judge's model) are the `*Rules` classes below, which the declaration
names per table. `python -m pipelines.contract generate` writes the JSON Schemas of these models
to `docs/contract/`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    create_model,
    model_validator,
)

from pipelines.contract.declaration import CONTRACT, Column, ContractError, TableSpec


class ContractModel(BaseModel):
    """Strict base: unknown fields and silent type coercion are errors, not surprises."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class HasUser(ContractModel):
    @model_validator(mode="after")
    def _has_user(self) -> HasUser:
        if self.user_id is None and self.hashed_ip is None:  # type: ignore[attr-defined]
            raise ValueError("needs user_id or hashed_ip to be grouped into a user history")
        return self

    @property
    def user_key(self) -> str:
        """The per-user history a conversation belongs to: `user_id`, else WildChat's hashed IP."""
        return self.user_id or self.hashed_ip  # type: ignore[attr-defined]


class LlmHasModel(ContractModel):
    @model_validator(mode="after")
    def _llm_has_model(self) -> LlmHasModel:
        kind, model_name = self.kind, self.model_name  # type: ignore[attr-defined]
        if kind == "llm" and not model_name:
            raise ValueError("an llm annotator needs model_name")
        if kind == "human" and model_name:
            raise ValueError("a human annotator has no model_name")
        return self


class CategoryOnlyWhenRejected(ContractModel):
    @model_validator(mode="after")
    def _category_only_when_rejected(self) -> CategoryOnlyWhenRejected:
        if self.failure_category is not None and self.label != "rejected":  # type: ignore[attr-defined]
            raise ValueError("failure_category is only given for a rejected attribute")
        return self


# The rules a table of the declaration may name (`rules:`), and what the docs say of each.
RULES: dict[str, tuple[type[ContractModel], str]] = {
    "has_user": (HasUser, "a record needs `user_id` or `hashed_ip`"),
    "llm_has_model": (LlmHasModel, "`model_name` is required for `llm` and absent for `human`"),
    "category_only_when_rejected": (
        CategoryOnlyWhenRejected,
        "`failure_category` is given only when `label` is `rejected`",
    ),
}

# Values ingest computes from a record for a column that is not one of its fields (`derive:`).
DERIVATIONS: dict[str, Any] = {
    "user_key": lambda record: record.user_key,
    "n_turns": lambda record: len(record.turns),
}

_SCALARS: dict[str, Any] = {
    "string": StrictStr,
    "integer": StrictInt,
    "number": StrictFloat,
    "boolean": StrictBool,
    "datetime": datetime,
    "string_list": list[StrictStr],
    "string_map": dict[str, StrictStr],
    "integer_list": list[StrictInt],
}


def closed_values(name: str) -> tuple[str, ...]:
    """The values of one of the declaration's closed vocabularies (`failure_category`, ...)."""
    return CONTRACT.vocabularies[name].values


def _annotation(column: Column, nested: dict[str, type[BaseModel]]) -> Any:
    if column.type == "object_list":
        return list[nested[column.model]]  # type: ignore[index]
    vocabulary = CONTRACT.vocabularies.get(column.vocabulary or "")
    if vocabulary is not None and vocabulary.values:
        return Literal[vocabulary.values]  # type: ignore[valid-type]
    return _SCALARS[column.type]


def _field(column: Column, annotation: Any) -> tuple[Any, Any]:
    limits = {
        {"min": "ge", "max": "le"}.get(name, name): value
        for name, value in column.constraints.items()
    }
    described = {"description": column.description}
    if column.required:
        return annotation, Field(**limits, **described)
    if column.default is not None:
        return annotation, Field(default=column.default, **limits, **described)
    return annotation | None, Field(default=None, **limits, **described)


def _object_model(column: Column) -> type[BaseModel]:
    fields = {
        name: (_SCALARS[kind], ...) if required else (_SCALARS[kind] | None, None)
        for name, (kind, required) in column.items.items()
    }
    return create_model(column.model, __base__=ContractModel, **fields)  # type: ignore[call-overload]


def _model(spec: TableSpec, children: dict[str, type[BaseModel]]) -> type[BaseModel]:
    nested = {c.model: _object_model(c) for c in spec.columns.values() if c.type == "object_list"}
    fields: dict[str, Any] = {}
    for column in spec.columns.values():
        if column.record:
            fields[column.name] = _field(column, _annotation(column, nested))
    for child_name, child in children.items():
        part_of = CONTRACT.tables[child_name].part_of or {}
        min_items = part_of.get("min_items", 0)
        fields[part_of["field"]] = (
            list[child],  # type: ignore[valid-type]
            Field(min_length=min_items, description=CONTRACT.tables[child_name].description),
        )
    rules = tuple(RULES[rule][0] for rule in spec.rules if rule in RULES)
    unknown = [rule for rule in spec.rules if rule not in RULES]
    if unknown:
        raise ContractError(f"contract.yml: tables.{spec.name}.rules: unknown rules {unknown}")
    return create_model(  # type: ignore[call-overload]
        spec.model, __base__=rules or ContractModel, __doc__=spec.description, **fields
    )


def _models() -> dict[str, type[BaseModel]]:
    """One model per table, a part's model before its parent's (the parent holds a list of it)."""
    built: dict[str, type[BaseModel]] = {}
    for name, spec in CONTRACT.tables.items():
        if spec.part_of:
            built[name] = _model(spec, {})
    for name, spec in CONTRACT.tables.items():
        if not spec.part_of:
            children = {
                child: built[child]
                for child, other in CONTRACT.tables.items()
                if other.part_of and other.part_of["table"] == name
            }
            built[name] = _model(spec, children)
    return {name: built[name] for name in CONTRACT.tables}


MODELS: dict[str, type[BaseModel]] = _models()
"""The model of each table, by table name (a part's model validates one item of its parent)."""
globals().update({model.__name__: model for model in MODELS.values()})


class DropManifest(ContractModel):
    """`manifest.json` of a drop folder: who made it and when."""

    drop_id: StrictStr = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    created_at: datetime
    description: StrictStr = ""
    producer: StrictStr = ""


# The contract's field names, nested ones included: any other name in a validation error's
# location is one of the record's own keys (an unknown field, a header name).
FIELD_NAMES = frozenset(
    name for model in [*MODELS.values(), DropManifest] for name in model.model_fields
) | frozenset(
    item for spec in CONTRACT.tables.values() for c in spec.columns.values() for item in c.items
)
