"""The datasheet half of the card: what each label means and how often it occurs, who labelled,
how each metric is defined, and what the privacy stage replaced and kept.

Every figure is counted from the staged release's Parquet files (or, for the privacy audit, from
the scrub's own counts); every text comes from `datacard/dataset.yaml` or `scrubber.yaml`. A
label value or a metric the configuration does not explain stops the release, so the card never
shows a figure a reader cannot interpret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines import settings
from pipelines.contract.tables import TABLES
from pipelines.privacy.config import DEFAULT_CONFIG_PATH, ScrubberConfig
from pipelines.yaml_text import load_yaml

NOT_PROVIDED = "not provided"
_DBT_VAR = re.compile(r"var\(\s*'(\w+)'\s*\)")


def dbt_vars(project_dir: Path = settings.DBT_PROJECT_DIR) -> dict[str, Any]:
    """The dbt project's vars (the study's thresholds), as `dbt_project.yml` sets them."""
    project = load_yaml((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return project.get("vars") or {}


def with_dbt_vars(text: str, variables: dict[str, Any]) -> str:
    """A text citing dbt vars (`var('min_turns')`) with their values, on one line."""
    return _DBT_VAR.sub(lambda match: str(variables[match.group(1)]), " ".join(text.split()))


@dataclass(frozen=True)
class Judged:
    """Where one stage keeps one kind of judge's labels: a list column of structs."""

    stage: str
    config: str
    kind: str
    column: str
    judge_field: str


JUDGED = (
    Judged("stage 1", "stage1_attributes", "human", "human_labels", "annotator_id"),
    Judged("stage 2", "stage2_relevance", "human", "human_labels", "annotator_id"),
    Judged("stage 2", "stage2_relevance", "llm", "llm_labels", "judge"),
    Judged("stage 3", "stage3_preferences", "human", "human_ratings", "annotator_id"),
    Judged("stage 3", "stage3_preferences", "llm", "llm_ratings", "judge"),
)


def parquet_source(files: list[Path]) -> str:
    return f"read_parquet({[p.as_posix() for p in files]})"


@dataclass(frozen=True)
class Staged:
    """The staged release per config: its Parquet files, and its columns as the export wrote
    them (so no file is read for its schema again)."""

    files: dict[str, list[Path]]
    columns: dict[str, set[str]]

    def has(self, config: str, *columns: str) -> bool:
        return config in self.files and set(columns) <= self.columns[config]

    def source(self, config: str) -> str:
        return parquet_source(self.files[config])


def _values_query(files: list[Path], field: str) -> str:
    """One row per value of `field`: a column, or `column[].field` for a list of structs."""
    column, _, inner = field.partition("[].")
    if inner:
        return (
            f'select cast(item."{inner}" as varchar) as value '
            f'from (select unnest("{column}") as item from {parquet_source(files)})'
        )
    return f'select cast("{column}" as varchar) as value from {parquet_source(files)}'


def value_counts(conn: duckdb.DuckDBPyConnection, files: list[Path], field: str) -> dict[str, int]:
    """How often each non-null value of a field occurs in the files."""
    rows = conn.execute(
        f"select value, count(*) from ({_values_query(files, field)}) "
        "where value is not null group by value order by value"
    ).fetchall()
    return dict(rows)


def data_dictionary(
    conn: duckdb.DuckDBPyConnection, metadata: dict[str, Any], staged: Staged
) -> list[dict[str, Any]]:
    """Per labelled field of the release: its scale and each value's meaning and count."""
    entries = []
    for entry in metadata.get("data_dictionary", []):
        config, field = entry["config"], entry["field"]
        if not staged.has(config, field.partition("[]")[0]):
            continue
        meanings = {str(value): text for value, text in entry["values"].items()}
        counts = value_counts(conn, staged.files[config], field)
        unexplained = sorted(set(counts) - set(meanings))
        if unexplained:
            raise ValueError(
                f"datacard/dataset.yaml: data_dictionary gives no meaning for the values "
                f"{unexplained} of {config}.{field}; add them before releasing"
            )
        entries.append(
            {
                "config": config,
                "field": field,
                "scale": entry["scale"],
                "values": [
                    {"value": value, "meaning": meaning, "count": counts.get(value, 0)}
                    for value, meaning in meanings.items()
                ],
            }
        )
    return entries


def annotator_counts(conn: duckdb.DuckDBPyConnection, staged: Staged) -> list[dict[str, Any]]:
    """Judges, judgments and items labelled, by stage and kind of judge."""
    counts = []
    for judged in JUDGED:
        if not staged.has(judged.config, judged.column):
            continue
        source = staged.source(judged.config)
        labels = f'(select unnest("{judged.column}") as label from {source})'
        judges, judgments, items = conn.execute(
            f'select (select count(distinct label."{judged.judge_field}") from {labels}), '
            f"(select count(*) from {labels}), "
            f'(select count(*) from {source} where len("{judged.column}") > 0)'
        ).fetchone()
        counts.append(
            {
                "stage": judged.stage,
                "kind": judged.kind,
                "judges": judges,
                "judgments": judgments,
                "items_labelled": items,
            }
        )
    return counts


def metric_definitions(
    metadata: dict[str, Any], metric_names: list[str], variables: dict[str, Any]
) -> list[dict[str, str]]:
    """The definition of every metric the release holds, in the order given."""
    defined = metadata.get("metric_definitions", {})
    undefined = sorted(set(metric_names) - set(defined))
    if undefined:
        raise ValueError(
            f"datacard/dataset.yaml: metric_definitions has no entry for {undefined}; "
            "define every published metric before releasing"
        )
    return [
        {
            "metric": name,
            **{key: with_dbt_vars(str(text), variables) for key, text in defined[name].items()},
        }
        for name in metric_names
    ]


def annotator_texts(metadata: dict[str, Any]) -> dict[str, Any]:
    """The study team's texts about its annotators, "not provided" where empty; the
    instructions are a list, one item per stage."""
    texts = metadata.get("annotators") or {}

    def text(value: Any) -> str:
        return " ".join(str(value or "").split()) or NOT_PROVIDED

    instructions = texts.get("instructions") or []
    if isinstance(instructions, str):
        instructions = [instructions]
    return {
        **{key: text(texts.get(key)) for key in ("recruitment", "pay", "demographics")},
        "instructions": [text(item) for item in instructions] or [NOT_PROVIDED],
    }


def privacy_policy(config_path: Path = DEFAULT_CONFIG_PATH) -> dict[str, Any]:
    """What the scrubber replaces and what it keeps, as its configuration says."""
    config = ScrubberConfig.load(config_path)
    raw = load_yaml(config_path.read_text(encoding="utf-8")) or {}
    kept = raw.get("kept", {})
    return {
        "replaced": sorted(config.entities),
        "kept": [{"entity_type": name, "why": " ".join(why.split())} for name, why in kept.items()],
        "quasi_identifiers": [
            {"entity_type": name, "what": " ".join(what.split())}
            for name, what in (raw.get("quasi_identifiers") or {}).items()
            if name in config.entities
        ],
        "public_figures": len(config.public_figures),
        "public_figure_topics": list(config.public_figure_topics),
        "allow_list": list(config.allow_list),
        "non_english_policy": config.non_english_policy,
        "hashed": sorted(
            f"{table.name}.{column}"
            for table in TABLES.values()
            for column in table.identifier_columns
        ),
    }


def users_by_kind(conn: duckdb.DuckDBPyConnection, staged: Staged) -> dict[str, int]:
    """Users of the release by source kind (real, synthetic, unknown)."""
    if not staged.has("users", "source_kind"):
        return {}
    return dict(
        conn.execute(
            f"select source_kind, count(*) from {staged.source('users')} group by all order by all"
        ).fetchall()
    )


_PRECISIONS = (("second", "microsecond"), ("minute", "second"), ("hour", "minute"), ("day", "hour"))


def timestamp_precision(conn: duckdb.DuckDBPyConnection, files: list[Path], column: str) -> str:
    """The finest unit a published timestamp column actually carries (day when all are midnight)."""
    for unit, below in _PRECISIONS:
        (carried,) = conn.execute(
            f'select count(*) from {parquet_source(files)} where "{column}" is not null '
            f"and date_trunc('{unit}', \"{column}\") <> date_trunc('{below}', \"{column}\")"
        ).fetchone()
        if carried:
            return below if below != "microsecond" else "sub-second"
    return "day"


def collect(
    conn: duckdb.DuckDBPyConnection,
    metadata: dict[str, Any],
    staged: Staged,
    metric_names: list[str],
    audit: Any,
) -> dict[str, Any]:
    """Everything the card's datasheet sections show, computed from the staged files."""
    return {
        "dictionary": data_dictionary(conn, metadata, staged),
        "annotator_counts": annotator_counts(conn, staged),
        "annotator_texts": annotator_texts(metadata),
        "metric_definitions": metric_definitions(metadata, metric_names, dbt_vars()),
        "privacy": privacy_policy(),
        "audit": audit,
        "users_by_kind": users_by_kind(conn, staged),
        "started_at_precision": (
            timestamp_precision(conn, staged.files["conversations"], "started_at")
            if staged.has("conversations", "started_at")
            else None
        ),
    }
