"""The contract's reference in `docs/raw-data-contract.md` (the parts between the generated
markers: vocabularies, files and their fields, identifiers) and its JSON Schemas in
`docs/contract/`, one per export file, for producers outside Python."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipelines.contract.declaration import CONTRACT, Column, TableSpec
from pipelines.contract.models import RULES, DropManifest
from pipelines.contract.tables import RAW_FILES
from pipelines.text_format import markdown_table

DOC = Path("docs") / "raw-data-contract.md"
SCHEMAS = Path("docs") / "contract"
BEGIN = "<!-- generated from pipelines/contract/contract.yml: {part} -->"
END = "<!-- end of generated part: {part} -->"


class StaleMarkers(ValueError):
    """The doc lacks a generated part's markers."""


def _type(column: Column) -> str:
    vocabulary = CONTRACT.vocabularies.get(column.vocabulary or "")
    if vocabulary is not None and vocabulary.values:
        kind = " | ".join(f"`{v}`" for v in vocabulary.values)
    elif column.type == "object_list":
        kind = "list of `{" + ", ".join(column.items) + "}`"
    else:
        kind = {
            "string": "string",
            "integer": "integer",
            "number": "number",
            "boolean": "bool",
            "datetime": "datetime",
            "string_list": "list of strings",
            "string_map": "object of strings",
        }[column.type]
    low, high = column.constraints.get("min"), column.constraints.get("max")
    if low is not None and high is not None:
        kind += f" in [{low:g}, {high:g}]"
    elif low is not None:
        kind += f", at least {low:g}"
    if column.constraints.get("min_length") and column.role == "text":
        kind += ", non-empty"
    if vocabulary is not None and vocabulary.pattern:
        kind += f" ({vocabulary.name.replace('_', ' ')})"
    return kind


def _presence(column: Column) -> str:
    if not column.record:
        return "computed at ingest"
    if column.required:
        return "required"
    if column.default is not None:
        return f"default {json.dumps(column.default)}"
    return "optional"


def _field_table(spec: TableSpec) -> str:
    rows = [
        [column.name, _type(column), _presence(column), column.role or "", column.description]
        for column in spec.columns.values()
        if column.record or column.derive
    ]
    for part in CONTRACT.tables.values():
        if part.part_of and part.part_of["table"] == spec.name:
            least = part.part_of.get("min_items", 0)
            rows.append(
                [
                    part.part_of["field"],
                    "list of objects (below)",
                    f"at least {least}",
                    "",
                    f"{part.description} Each lands as a row of `{part.name}`; its position "
                    f"is `{part.part_of['index']}`.",
                ]
            )
    return markdown_table(["field", "type", "presence", "role", "rule"], rows)


def files_part() -> str:
    lines = []
    for spec in CONTRACT.tables.values():
        title = f"`{spec.file}.jsonl`" if spec.file else f"each item of `{spec.part_of['field']}`"
        lines += [f"### {title} — table `{spec.name}`", "", spec.description, ""]
        lines.append(f"Key `({', '.join(spec.key)})`.")
        for rule in spec.rules:
            lines.append(f"Rule: {RULES[rule][1]}.")
        lines += ["", _field_table(spec), ""]
    return "\n".join(lines).rstrip() + "\n"


def vocabularies_part() -> str:
    rows = []
    for name, vocabulary in CONTRACT.vocabularies.items():
        columns = sorted(
            {
                f"`{spec.name}.{c.name}`"
                for spec in CONTRACT.tables.values()
                for c in spec.columns.values()
                if c.vocabulary == name
            }
        )
        if vocabulary.values:
            value = "one of " + ", ".join(f"`{v}`" for v in vocabulary.values)
        else:
            examples = ", ".join(f"`{e}`" for e in vocabulary.examples)
            value = f"{vocabulary.description} ({examples})" if examples else vocabulary.description
        rows.append([name.replace("_", " "), ", ".join(columns), value])
    return markdown_table(["vocabulary", "columns", "a value is"], rows) + "\n"


def identifiers_part() -> str:
    rows = []
    for name, treatment in CONTRACT.identifiers.items():
        tables = [f"`{s.name}`" for s in CONTRACT.tables.values() if name in s.columns]
        if "prefix" in treatment:
            done = f"keyed hash `{treatment['prefix']}_<16 hex>`"
        elif "items_of" in treatment:
            done = f"each id hashed as `{treatment['items_of']}` is"
        elif "objects_naming" in treatment:
            done = f"the `{treatment['objects_naming']}` of each object hashed"
        elif "reduce" in treatment:
            done = f"reduced to `{treatment['reduce']}`"
        else:
            done = "dropped (null)"
        rows.append([f"`{name}`", ", ".join(tables), done])
    return markdown_table(["column", "in tables", "before modeling"], rows) + "\n"


PARTS = {
    "vocabularies": vocabularies_part,
    "files": files_part,
    "identifiers": identifiers_part,
}


def render_doc(current: str) -> str:
    """The doc with each generated part rewritten between its markers."""
    for part, render in PARTS.items():
        begin, end = BEGIN.format(part=part), END.format(part=part)
        pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.DOTALL)
        if not pattern.search(current):
            raise StaleMarkers(f"{DOC}: no markers for the generated part {part!r}")
        text = f"{begin}\n\n{render()}\n{end}"
        current = pattern.sub(lambda _, text=text: text, current)
    return current


def schema_files(root: Path) -> dict[Path, str]:
    """One JSON Schema per export file of the contract, and the drop manifest's."""
    models = {stem: raw_file.model for stem, raw_file in RAW_FILES.items()}
    models["manifest"] = DropManifest
    return {
        root / SCHEMAS / f"{stem}.schema.json": json.dumps(
            model.model_json_schema(), indent=2, sort_keys=True
        )
        + "\n"
        for stem, model in models.items()
    }


def doc_files(root: Path) -> dict[Path, str]:
    path = root / DOC
    return {path: render_doc(path.read_text(encoding="utf-8")), **schema_files(root)}
