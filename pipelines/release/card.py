"""The dataset card (README.md with the Hub's YAML header) and the Croissant JSON-LD file.

Prose lives in `datacard/` (a Jinja2 template and `dataset.yaml`); everything that describes the
data (configs, features, sizes, field descriptions, metrics, audit counts) is computed from the
staged release, so the card cannot drift from the files it describes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import mlcroissant as mlc
import pyarrow as pa
import yaml
from datasets import Features
from huggingface_hub import DatasetCard, DatasetCardData

from pipelines import settings

CARD_TEMPLATE = "README.md.j2"
CARD_METADATA = "dataset.yaml"
# Keys of dataset.yaml that go to the YAML header as they are.
_HEADER_KEYS = (
    "pretty_name",
    "language",
    "task_categories",
    "tags",
    "annotations_creators",
    "language_creators",
    "multilinguality",
    "source_datasets",
    "license_name",
)
_SPDX = {"cc-by-4.0": "CC-BY-4.0", "odc-by": "ODC-By-1.0", "cc-by-sa-4.0": "CC-BY-SA-4.0"}


@dataclass
class Table:
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class CardConfig:
    """What the card says about one config."""

    name: str
    summary: str
    schema: pa.Schema
    splits: dict[str, dict[str, Any]]
    """split -> {"rows", "num_bytes", "files"}"""


def load_metadata(datacard_dir: Path = settings.DATACARD_DIR) -> dict[str, Any]:
    return yaml.safe_load((datacard_dir / CARD_METADATA).read_text(encoding="utf-8"))


def field_descriptions(marts_dir: Path) -> dict[str, dict[str, str]]:
    """Column descriptions per model, from the dbt marts' .yml files (the one place they live)."""
    described: dict[str, dict[str, str]] = {}
    for path in sorted(marts_dir.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models", []):
            described.setdefault(model["name"], {}).update(
                {
                    column["name"]: " ".join(str(column.get("description", "")).split())
                    for column in model.get("columns", [])
                    if column.get("description")
                }
            )
    return described


def size_category(rows: int) -> str:
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if rows < bound:
            return label
    for bound, label in ((1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if rows < bound:
            return label
    return "10M<n<100M"


def license_of(metadata: dict[str, Any], config: str) -> str:
    for part in metadata["licenses"].values():
        if config in part["applies_to"]:
            return part["id"]
    raise ValueError(f"datacard/{CARD_METADATA}: no license covers config {config!r}")


def card_data(
    metadata: dict[str, Any], configs: list[CardConfig], previous: DatasetCardData | None
) -> DatasetCardData:
    """The YAML header: dataset.yaml's fields, then configs and dataset_info from the files.

    Keys a maintainer added to the published card by hand are kept (merged, never dropped).
    """
    header: dict[str, Any] = previous.to_dict() if previous else {}
    header.update({key: metadata[key] for key in _HEADER_KEYS if key in metadata})
    header["license"] = sorted({license_of(metadata, c.name) for c in configs})
    header["size_categories"] = [
        size_category(max(sum(s["rows"] for s in c.splits.values()) for c in configs))
    ]
    header["configs"] = [
        {
            "config_name": c.name,
            "data_files": [
                {"split": split, "path": f"data/{c.name}/{split}-*.parquet"} for split in c.splits
            ],
        }
        for c in configs
    ]
    header["dataset_info"] = [
        {
            "config_name": c.name,
            "features": Features.from_arrow_schema(c.schema)._to_yaml_list(),
            "splits": [
                {"name": split, "num_bytes": info["num_bytes"], "num_examples": info["rows"]}
                for split, info in c.splits.items()
            ],
            "download_size": sum(info["download_size"] for info in c.splits.values()),
            "dataset_size": sum(info["num_bytes"] for info in c.splits.values()),
        }
        for c in configs
    ]
    return DatasetCardData(**header)


def _cell(value: Any) -> str:
    """A value as one Markdown table cell."""
    if isinstance(value, float):
        value = f"{value:.4g}"
    text = " ".join(str(value if value is not None else "").split())
    return text.replace("|", "\\|")


def render_card(
    *,
    metadata: dict[str, Any],
    configs: list[CardConfig],
    descriptions: dict[str, dict[str, str]],
    version: str,
    date: str,
    repo_id: str,
    splits: dict[str, Any],
    metrics: Table,
    audit: Table,
    changelog: list[dict[str, Any]],
    previous: DatasetCardData | None = None,
    datacard_dir: Path = settings.DATACARD_DIR,
) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(datacard_dir),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.filters["cell"] = _cell
    data = card_data(metadata, configs, previous)
    content = environment.get_template(CARD_TEMPLATE).render(
        card_data=data.to_yaml(),
        pretty_name=metadata["pretty_name"],
        paper=metadata["paper"],
        version=version,
        date=date,
        repo_id=repo_id,
        local_load_command=(
            "python -m pipelines.release load --repo <dataset-repo> "
            f"--version v{version} --config stage2_relevance"
        ),
        configs=[
            {
                "name": c.name,
                "summary": c.summary,
                "license": license_of(metadata, c.name),
                "splits": [{"name": s, "rows": info["rows"]} for s, info in c.splits.items()],
                "fields": [
                    {
                        "name": f.name,
                        "type": str(f.type),
                        "description": descriptions.get(c.name, {}).get(f.name, "undocumented"),
                    }
                    for f in c.schema
                ],
            }
            for c in configs
        ],
        licenses=list(metadata["licenses"].values()),
        splits=splits,
        metrics=metrics,
        audit=audit,
        scrubber=metadata["scrubber"],
        limitations=metadata["limitations"],
        citation=metadata["citation"],
        changelog=changelog,
    )
    return DatasetCard(content).content


def undocumented_fields(
    configs: list[CardConfig], descriptions: dict[str, dict[str, str]]
) -> list[str]:
    return [
        f"{c.name}.{f.name}"
        for c in configs
        for f in c.schema
        if f.name not in descriptions.get(c.name, {})
    ]


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
