"""The Croissant file: Croissant 1.1 JSON-LD with the Responsible-AI vocabulary, for mlcroissant.

Every published Parquet file is a FileObject with the sha256 of its bytes and its size, in the
FileSet of its config; each config is a record set read from that FileSet. Record set keys and
the references between record sets are read from the dbt marts' tests (`unique_combination`, or a
column's `unique`; `relationships`), licences and Responsible-AI texts from `dataset.yaml`. URLs
name the release tag.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import mlcroissant as mlc
import pyarrow as pa

from pipelines.release import versioning
from pipelines.release.card import CardConfig
from pipelines.release.datasheet import annotator_texts, dbt_vars, with_dbt_vars
from pipelines.yaml_text import load_yaml

CROISSANT_VERSION = "http://mlcommons.org/croissant/1.1"
RAI_VERSION = "http://mlcommons.org/croissant/RAI/1.0"
PARQUET = "application/x-parquet"
_REF = re.compile(r"""^ref\(['"](\w+)['"]\)$""")


def _croissant_type(arrow_type: pa.DataType) -> list:
    if pa.types.is_boolean(arrow_type):
        return [mlc.DataType.BOOL]
    if pa.types.is_integer(arrow_type):
        return [mlc.DataType.INTEGER]
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return [mlc.DataType.FLOAT]
    if pa.types.is_timestamp(arrow_type):
        return [mlc.DataType.DATETIME]
    if pa.types.is_date(arrow_type):
        return [mlc.DataType.DATE]
    return [mlc.DataType.TEXT]


def _croissant_field(
    ctx: mlc.Context,
    record_set: str,
    file_set: str,
    column: str,
    arrow_field: pa.Field,
    path: list[str],
    doc: str,
    references: str | None = None,
) -> mlc.Field:
    """A Croissant field for a column, nested structs and lists as subfields."""
    field_id = "/".join([record_set, *path])
    kind = arrow_field.type
    repeated = pa.types.is_list(kind)
    if repeated:
        kind = kind.value_type
    source = mlc.Source(
        ctx=ctx,
        file_set=file_set,
        extract=mlc.Extract(ctx=ctx, column=column),
        transforms=[mlc.Transform(ctx=ctx, json_path=".".join(path[1:]))] if len(path) > 1 else [],
    )
    if pa.types.is_struct(kind):
        return mlc.Field(
            ctx=ctx,
            id=field_id,
            name=arrow_field.name,
            description=doc or None,
            repeated=repeated or None,
            sub_fields=[
                _croissant_field(ctx, record_set, file_set, column, child, [*path, child.name], "")
                for child in kind.fields
            ],
        )
    return mlc.Field(
        ctx=ctx,
        id=field_id,
        name=arrow_field.name,
        description=doc or None,
        data_types=_croissant_type(kind),
        repeated=repeated or None,
        source=source,
        **({"references": mlc.Source(ctx=ctx, field=references)} if references else {}),
    )


def mart_constraints(
    marts_dir: Path,
) -> tuple[dict[str, list[str]], dict[str, dict[str, tuple[str, str]]]]:
    """The marts' declared keys and references, from their dbt tests.

    A model's key is its `unique_combination` test's columns, else its column with a `unique`
    test; a column with a `relationships` test references (model, column).
    """
    keys: dict[str, list[str]] = {}
    references: dict[str, dict[str, tuple[str, str]]] = {}
    for path in sorted(marts_dir.glob("*.yml")):
        document = load_yaml(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models", []):
            unique = [
                column["name"]
                for column in model.get("columns", [])
                if "unique" in column.get("data_tests", [])
            ]
            combined = [
                test["unique_combination"]["arguments"]["columns"]
                for test in model.get("data_tests", [])
                if isinstance(test, dict) and "unique_combination" in test
            ]
            if combined or unique:
                keys[model["name"]] = combined[0] if combined else unique[:1]
            for column in model.get("columns", []):
                for test in column.get("data_tests", []):
                    if isinstance(test, dict) and "relationships" in test:
                        arguments = test["relationships"]["arguments"]
                        target = _REF.match(arguments["to"])
                        if target is None:
                            raise ValueError(
                                f"{path.name}: {model['name']}.{column['name']} references "
                                f"{arguments['to']!r}, not a ref('model')"
                            )
                        references.setdefault(model["name"], {})[column["name"]] = (
                            target.group(1),
                            arguments["field"],
                        )
    return keys, references


def _with_counts(value: Any, rows: dict[str, int], variables: dict[str, Any]) -> Any:
    """A Responsible-AI text of dataset.yaml, `{rows[config]}` replaced by the release's count
    and `var('name')` by the dbt var's value."""
    if isinstance(value, list):
        return [_with_counts(item, rows, variables) for item in value]
    return with_dbt_vars(str(value), variables).format(rows=rows)


def _licenses(metadata: dict[str, Any]) -> list[str]:
    return sorted({part["link"] for part in metadata["licenses"].values()})


def render_croissant(
    *,
    metadata: dict[str, Any],
    configs: list[CardConfig],
    tables: dict[str, str],
    descriptions: dict[str, dict[str, str]],
    marts_dir: Path,
    version: str,
    date: str,
    repo_url: str,
    files_on_hub: bool,
) -> str:
    """Croissant JSON-LD of a release: its files, one record set per config, Responsible-AI texts.

    `repo_url` is the dataset repo's page; files are named by their Hub download URL at the
    release tag when `files_on_hub`, else by their path next to croissant.json.
    """
    tag = versioning.tag(version)
    ctx = mlc.Context(conforms_to=CROISSANT_VERSION)
    keys, references = mart_constraints(marts_dir)
    record_set_of = {tables[c.name]: c.name for c in configs}
    distribution: list = []
    record_sets = []
    for c in configs:
        file_set = f"parquet-files-for-config-{c.name}"
        distribution.append(
            mlc.FileSet(
                ctx=ctx,
                id=file_set,
                name=file_set,
                description=f"The Parquet files of config {c.name}, every split.",
                encoding_formats=[PARQUET],
                includes=[f"data/{c.name}/*.parquet"],
            )
        )
        for info in c.splits.values():
            for entry in info["files"]:
                distribution.append(
                    mlc.FileObject(
                        ctx=ctx,
                        id=entry["path"],
                        name=entry["path"],
                        content_url=(
                            f"{repo_url}/resolve/{tag}/{entry['path']}"
                            if files_on_hub
                            else entry["path"]
                        ),
                        content_size=f"{entry['size']} B",
                        encoding_formats=[PARQUET],
                        sha256=entry["sha256"],
                        contained_in=[file_set],
                    )
                )
        table = tables[c.name]
        published = set(c.schema.names)
        key = keys.get(table, [])
        column_references = {
            column: f"{record_set_of[model]}/{field}"
            for column, (model, field) in references.get(table, {}).items()
            if column in published and model in record_set_of
        }
        fields = [
            _croissant_field(
                ctx,
                c.name,
                file_set,
                f.name,
                f,
                [f.name],
                descriptions.get(c.name, {}).get(f.name, ""),
                column_references.get(f.name),
            )
            for f in c.schema
        ]
        fields.append(
            mlc.Field(
                ctx=ctx,
                id=f"{c.name}/split",
                name="split",
                description="The split a row belongs to, from its file's name.",
                data_types=[mlc.DataType.TEXT],
                source=mlc.Source(
                    ctx=ctx,
                    file_set=file_set,
                    extract=mlc.Extract(ctx=ctx, file_property="fullpath"),
                    transforms=[
                        mlc.Transform(ctx=ctx, regex=r"^(?:.*/)?(\w+)-\d+-\d+-of-\d+\.parquet$")
                    ],
                ),
            )
        )
        record_sets.append(
            mlc.RecordSet(
                ctx=ctx,
                id=c.name,
                name=c.name,
                description=c.summary,
                key=[f"{c.name}/{column}" for column in key] if published >= set(key) else None,
                fields=fields,
            )
        )
    rows = {c.name: sum(info["rows"] for info in c.splits.values()) for c in configs}
    variables = dbt_vars()
    annotators = annotator_texts(metadata)
    responsible_ai = {
        key: _with_counts(value, rows, variables)
        for key, value in metadata["responsible_ai"].items()
    } | {
        "data_use_cases": metadata["intended_uses"],
        "data_annotation_protocol": annotators["instructions"],
        "data_annotation_platform": [annotators["recruitment"]],
        "annotator_demographics": [annotators["demographics"]],
    }
    croissant = mlc.Metadata(
        ctx=ctx,
        name=metadata["pretty_name"],
        description=metadata["description"].strip(),
        conforms_to=[CROISSANT_VERSION, RAI_VERSION],
        url=f"{repo_url}/tree/{tag}",
        license=_licenses(metadata),
        cite_as=metadata["citation"].strip(),
        version=version,
        date_published=date,
        in_language=metadata["language"],
        keywords=metadata["tags"],
        distribution=distribution,
        record_sets=record_sets,
        data_limitations=metadata["limitations"],
        **responsible_ai,
    )
    issues = croissant.issues
    if issues.errors:
        raise ValueError(f"Croissant metadata is invalid:\n{issues.report()}")
    return json.dumps(croissant.to_json(), indent=2, sort_keys=True, default=str) + "\n"
