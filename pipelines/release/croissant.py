"""The Croissant JSON-LD file: the release's files and record sets, described for mlcroissant."""

from __future__ import annotations

import json
from typing import Any

import mlcroissant as mlc
import pyarrow as pa

from pipelines.release.card import CardConfig

_SPDX = {"cc-by-4.0": "CC-BY-4.0", "odc-by": "ODC-By-1.0", "cc-by-sa-4.0": "CC-BY-SA-4.0"}


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
    record_set: str, file_set: str, column: str, arrow_field: pa.Field, path: list[str], doc: str
) -> mlc.Field:
    """A Croissant field for a column, nested structs and lists as subfields."""
    field_id = "/".join([record_set, *path])
    kind = arrow_field.type
    repeated = pa.types.is_list(kind)
    if repeated:
        kind = kind.value_type
    source = mlc.Source(
        file_set=file_set,
        extract=mlc.Extract(column=column),
        transforms=[mlc.Transform(json_path=".".join(path[1:]))] if len(path) > 1 else [],
    )
    if pa.types.is_struct(kind):
        return mlc.Field(
            id=field_id,
            name=arrow_field.name,
            description=doc or None,
            repeated=repeated or None,
            sub_fields=[
                _croissant_field(record_set, file_set, column, child, [*path, child.name], "")
                for child in kind.fields
            ],
        )
    return mlc.Field(
        id=field_id,
        name=arrow_field.name,
        description=doc or None,
        data_types=_croissant_type(kind),
        repeated=repeated or None,
        source=source,
    )


def render_croissant(
    *,
    metadata: dict[str, Any],
    configs: list[CardConfig],
    descriptions: dict[str, dict[str, str]],
    version: str,
    date: str,
    repo_url: str,
) -> str:
    """Croissant 1.0 JSON-LD: the repo, one Parquet file set and one record set per config."""
    distribution: list = [
        mlc.FileObject(
            id="repo",
            name="repo",
            description="The dataset repository, at the release tag.",
            content_url=repo_url,
            encoding_formats=["git+https"],
            sha256="https://github.com/mlcommons/croissant/issues/80",
        )
    ]
    record_sets = []
    for c in configs:
        file_set = f"parquet-files-for-config-{c.name}"
        distribution.append(
            mlc.FileSet(
                id=file_set,
                name=file_set,
                description=f"The Parquet files of config {c.name}, every split.",
                contained_in=["repo"],
                encoding_formats=["application/x-parquet"],
                includes=[f"data/{c.name}/*.parquet"],
            )
        )
        fields = [
            _croissant_field(
                c.name, file_set, f.name, f, [f.name], descriptions.get(c.name, {}).get(f.name, "")
            )
            for f in c.schema
        ]
        fields.append(
            mlc.Field(
                id=f"{c.name}/split",
                name="split",
                description="The split a row belongs to, from its file name.",
                data_types=[mlc.DataType.TEXT],
                source=mlc.Source(
                    file_set=file_set,
                    extract=mlc.Extract(file_property=mlc.FileProperty.filename),
                    transforms=[mlc.Transform(regex=r"^(\w+)-\d+-of-\d+\.parquet$")],
                ),
            )
        )
        record_sets.append(
            mlc.RecordSet(id=c.name, name=c.name, description=c.summary, fields=fields)
        )
    croissant = mlc.Metadata(
        name=metadata["pretty_name"],
        description=(
            "Human and LLM judgments of the three stages of LLM personalization (attribute "
            "extraction, relevance matching, response generation) for real users."
        ),
        url=repo_url,
        license=sorted(
            {
                f"https://spdx.org/licenses/{_SPDX[part['id']]}.html"
                for part in metadata["licenses"].values()
                if part["id"] in _SPDX
            }
        ),
        cite_as=metadata["citation"].strip(),
        version=version,
        date_published=date,
        distribution=distribution,
        record_sets=record_sets,
    )
    issues = croissant.issues
    if issues.errors:
        raise ValueError(f"Croissant metadata is invalid:\n{issues.report()}")
    return json.dumps(croissant.to_json(), indent=2, sort_keys=True, default=str) + "\n"
