"""Validate a staged release folder before it is published: the gate of every release.

Each config's Parquet files (`data/<config>/<split>-NNNNN-of-NNNNN.parquet`) are read by an
in-memory DuckDB as the view `published."<config>"`, with the split in the column `_split`, and
checked with the suite `expectations/published.<config>.yml`. The suites take three parameters:
`card_columns` (the features the dataset card declares, plus `_split`), `modeled_rows` (the
rows of the mart the config is cut from) and `leak_scan_query` (the residual-leak scan, the same
for every config, kept once in `expectations/published.leak_scan.sql`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import duckdb
from huggingface_hub import DatasetCard

from pipelines import settings
from pipelines.quality.outcome import SuiteOutcome, ValidationFailed
from pipelines.quality.runner import DuckDBSource, validate
from pipelines.quality.suites import PUBLISHED_SCHEMA, load_suites
from pipelines.release.configs import CONFIGS

SPLIT_COLUMN = "_split"
CARD = "README.md"
LEAK_SCAN_QUERY = settings.EXPECTATIONS_DIR / "published.leak_scan.sql"


def card_features(folder: Path) -> dict[str, list[str]]:
    """Feature names per config, as the staged dataset card's YAML header declares them."""
    info = DatasetCard.load(folder / CARD).data.to_dict().get("dataset_info") or []
    return {entry["config_name"]: [f["name"] for f in entry["features"]] for entry in info}


def _view(config: str, files: list[Path]) -> str:
    paths = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
    return (
        f'create view {PUBLISHED_SCHEMA}."{config}" as select * exclude (filename), '
        rf"regexp_extract(filename, '([^/]+)-\d+-of-\d+\.parquet$', 1) as {SPLIT_COLUMN} "
        f"from read_parquet([{paths}], filename = true)"
    )


def validate_published(
    folder: Path,
    conn: duckdb.DuckDBPyConnection,
    card_features_by_config: Mapping[str, Sequence[str]] | None = None,
    *,
    raise_on_error: bool = True,
    docs_dir: Path | None | Callable[[], Path] = settings.data_docs_dir,
) -> list[SuiteOutcome]:
    """Check every config of the release in `folder` against its suite and the warehouse (`conn`,
    for the marts' row counts). Raises ValidationFailed when an error-severity expectation fails."""
    folder = Path(folder)
    features = card_features_by_config or card_features(folder)
    suites = load_suites()
    leak_scan_query = LEAK_SCAN_QUERY.read_text(encoding="utf-8")
    outcomes = []
    for config in CONFIGS:
        suite = suites.get(f"{PUBLISHED_SCHEMA}.{config.name}")
        if suite is None:
            raise LookupError(f"no suite expectations/{PUBLISHED_SCHEMA}.{config.name}.yml")
        files = sorted((folder / config.data_dir).glob("*.parquet"))
        if not files:
            raise FileNotFoundError(f"{folder / config.data_dir}: no Parquet files to validate")
        (modeled_rows,) = conn.execute(f'select count(*) from main."{config.table}"').fetchone()
        source = DuckDBSource(
            setup=(f"create schema {PUBLISHED_SCHEMA}", _view(config.name, files))
        )
        outcomes.append(
            validate(
                suite,
                source,
                parameters={
                    "card_columns": [*features.get(config.name, []), SPLIT_COLUMN],
                    "modeled_rows": modeled_rows,
                    "leak_scan_query": leak_scan_query,
                },
                docs_dir=docs_dir,
            )
        )
    failed = [o for o in outcomes if o.errors]
    if failed and raise_on_error:
        raise ValidationFailed(
            "the release failed validation; nothing was published.\n"
            + "\n".join(o.message() for o in failed)
        )
    return outcomes
