"""The dataset card: README.md with the Hub's YAML header.

Prose lives in `datacard/` (a Jinja2 template and `dataset.yaml`); everything that describes the
data (configs, features, sizes, field descriptions, label counts, annotators, metrics, audit
counts, figures) is computed from the staged release, so the card cannot drift from the files it
describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pyarrow as pa
from datasets import Features
from huggingface_hub import DatasetCard, DatasetCardData

from pipelines import settings
from pipelines.release.datasheet import dbt_vars, with_dbt_vars
from pipelines.yaml_text import load_yaml

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
)


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
    return load_yaml((datacard_dir / CARD_METADATA).read_text(encoding="utf-8"))


def field_descriptions(
    marts_dir: Path, variables: dict[str, Any] | None = None
) -> dict[str, dict[str, str]]:
    """Column descriptions per model, from the dbt marts' .yml files (the one place they live).

    A description may cite a dbt var (`var('min_turns')`): the card shows its value.
    """
    variables = dbt_vars() if variables is None else variables
    described: dict[str, dict[str, str]] = {}
    for path in sorted(marts_dir.glob("*.yml")):
        document = load_yaml(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models", []):
            described.setdefault(model["name"], {}).update(
                {
                    column["name"]: with_dbt_vars(str(column["description"]), variables)
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
    """The licence ids of every part that covers a config (a config can mix sources)."""
    ids = sorted({p["id"] for p in metadata["licenses"].values() if config in p["applies_to"]})
    if not ids:
        raise ValueError(f"datacard/{CARD_METADATA}: no license covers config {config!r}")
    return ", ".join(ids)


def card_data(
    metadata: dict[str, Any], configs: list[CardConfig], previous: DatasetCardData | None
) -> DatasetCardData:
    """The YAML header: dataset.yaml's fields, then configs and dataset_info from the files.

    Keys a maintainer added to the published card by hand are kept (merged, never dropped).
    """
    header: dict[str, Any] = previous.to_dict() if previous else {}
    header.update({key: metadata[key] for key in _HEADER_KEYS if key in metadata})
    published = {c.name for c in configs}
    parts = [p for p in metadata["licenses"].values() if published & set(p["applies_to"])]
    header["license"] = sorted({part["id"] for part in parts})
    others = [part for part in parts if part["id"] == "other"]
    if others:
        (other,) = others  # the header has room for one licence outside the Hub's list
        header["license_name"], header["license_link"] = other["name"], other["link"]
    else:
        header.pop("license_name", None)
        header.pop("license_link", None)
    header.update(metadata.get("gating") or {})
    header["size_categories"] = [
        size_category(max(sum(s["rows"] for s in c.splits.values()) for c in configs))
    ]
    # `datasets` cannot load a split without rows (it reads its batch size from the first row
    # group), so the header lists only splits with rows and no config that has none among its
    # `configs`; `dataset_info` keeps every config's features, which the release's checks read.
    with_rows = [
        (c, {split: info for split, info in c.splits.items() if info["rows"]}) for c in configs
    ]
    loadable = [(c, splits) for c, splits in with_rows if splits]
    header["configs"] = [
        {
            "config_name": c.name,
            **({"default": True} if c.name == metadata["default_config"] else {}),
            "data_files": [
                {"split": split, "path": f"data/{c.name}/{split}-*.parquet"} for split in splits
            ],
        }
        for c, splits in loadable
    ]
    header["dataset_info"] = [
        {
            "config_name": c.name,
            "features": Features.from_arrow_schema(c.schema)._to_yaml_list(),
            "splits": [
                {"name": split, "num_bytes": info["num_bytes"], "num_examples": info["rows"]}
                for split, info in splits.items()
            ],
            "download_size": sum(info["download_size"] for info in splits.values()),
            "dataset_size": sum(info["num_bytes"] for info in splits.values()),
        }
        for c, splits in with_rows
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
    datasheet: dict[str, Any],
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
        default_config=metadata["default_config"],
        paper=metadata["paper"],
        version=version,
        date=date,
        repo_id=repo_id,
        local_load_command=(
            "python -m pipelines.release load --repo <dataset-repo> "
            f"--version v{version} --config {metadata['default_config']}"
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
        limitations=metadata["limitations"],
        intended_uses=metadata["intended_uses"],
        out_of_scope_uses=metadata["out_of_scope_uses"],
        consent=" ".join(metadata["consent"].split()),
        **datasheet,
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
