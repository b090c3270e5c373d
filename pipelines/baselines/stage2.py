"""The stage-2 baselines against the human consensus, as rows of the `metrics` table.

Thresholds are fitted on the train split and scored on validation and test. A user's split is the
one the next release gives them: the release's own rule (`assign_splits`) over the same users,
seed and ratios, with the previous release's `splits.json` from the release target, so the
figures are computed before the release and published in its `metrics` config.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from pipelines import settings
from pipelines.baselines.evaluation import Scores, confusion, fit_threshold
from pipelines.baselines.text_scores import (
    Pairs,
    SentenceEmbedder,
    bm25_scores,
    cached_embeddings,
    cosine_scores,
)
from pipelines.release.build import SPLITS_FILE, releasable_users
from pipelines.release.card import load_metadata
from pipelines.release.configs import CONFIGS
from pipelines.release.splits import assign_splits
from pipelines.release.targets import ReleaseTarget

METRICS_TABLE = "baselines.stage2_metrics"
STAGE = "stage2"
TRAIN_SPLIT = "train"
EVALUATED_SPLITS = ("validation", "test")
METHODS = ("bm25", "embedding")


@dataclass(frozen=True)
class Stage2Items:
    """Every stage-2 item: its (attribute, prompt) texts as codes, its user's split as a code
    into `split_names`, and the consensus (`relevant`, where `has_consensus`: not on a tie)."""

    pairs: Pairs
    split_names: list[str]
    split_of: np.ndarray
    has_consensus: np.ndarray
    relevant: np.ndarray

    def in_split(self, split: str) -> np.ndarray:
        """Which items are in `split` and have a consensus."""
        if split not in self.split_names:
            return np.zeros(len(self.split_of), dtype=bool)
        return (self.split_of == self.split_names.index(split)) & self.has_consensus


@dataclass(frozen=True)
class BaselineRun:
    rows: list[dict[str, Any]]
    items: int
    texts_embedded: int
    texts_cached: int


def previous_splits(target: ReleaseTarget) -> dict[str, str] | None:
    """user_id -> split of the target's latest release, as the release itself reads it."""
    latest = target.latest_version()
    if latest is None:
        return None
    with tempfile.TemporaryDirectory(prefix="baselines-") as tmp:
        target.fetch(latest, Path(tmp))
        path = Path(tmp) / SPLITS_FILE
        return json.loads(path.read_text(encoding="utf-8"))["users"] if path.is_file() else None


def release_splits(
    conn: duckdb.DuckDBPyConnection, previous: dict[str, str] | None
) -> dict[str, str]:
    """The split each user of the marts gets in the next release; the users it will withhold
    for re-identification risk get none, as there."""
    # The release itself applies the below-k policy; here only its users matter.
    users, _ = releasable_users(conn, CONFIGS, below_k_policy="withhold")
    return assign_splits(users, settings.split_ratios(), settings.split_seed(), previous).users


def stage2_items(conn: duckdb.DuckDBPyConnection, splits: dict[str, str]) -> Stage2Items:
    """The items in a stable order (user, attribute, prompt). DuckDB numbers the distinct texts
    and splits; Python holds each text once and a few integers per item, whatever the corpus."""
    conn.register(
        "user_splits",
        pa.table({"user_id": list(splits), "split": list(splits.values())}),
    )
    items = (
        "select user_id, attribute_id, prompt_id, attribute, prompt_text, split, "
        "consensus_relevant from main.stage2_relevance join main.prompts using (prompt_id) "
        "join user_splits using (user_id)"
    )

    def distinct(column: str) -> list[str]:
        query = f"select distinct {column} from ({items}) order by {column}"
        return [value for (value,) in conn.execute(query).fetchall()]

    try:
        attributes, prompts, split_names = (
            distinct(c) for c in ("attribute", "prompt_text", "split")
        )
        coded = conn.execute(
            "select "
            "(dense_rank() over (order by attribute) - 1)::int32 as attribute_of, "
            "(dense_rank() over (order by prompt_text) - 1)::int32 as prompt_of, "
            "(dense_rank() over (order by split) - 1)::int8 as split_of, "
            "consensus_relevant is not null as has_consensus, "
            "coalesce(consensus_relevant, false) as relevant "
            f"from ({items}) order by user_id, attribute_id, prompt_id"
        ).fetchnumpy()
    finally:
        conn.unregister("user_splits")
    return Stage2Items(
        pairs=Pairs(attributes, prompts, coded["attribute_of"], coded["prompt_of"]),
        split_names=split_names,
        split_of=coded["split_of"],
        has_consensus=coded["has_consensus"],
        relevant=coded["relevant"],
    )


def method_scores(
    conn: duckdb.DuckDBPyConnection, items: Stage2Items, embedder: SentenceEmbedder | None
) -> tuple[dict[str, np.ndarray], int]:
    """Each method's score of every item, and how many texts were embedded (not cached)."""
    pairs = items.pairs
    embeddings, embedded = cached_embeddings(conn, embedder, [*pairs.attributes, *pairs.prompts])
    return {
        "bm25": bm25_scores(pairs),
        "embedding": cosine_scores(embeddings, pairs),
    }, embedded


def split_scores(scores: np.ndarray, items: Stage2Items, split: str) -> Scores:
    """The items of a split that have a consensus."""
    keep = items.in_split(split)
    return Scores(scores[keep], items.relevant[keep])


def baseline_rows(items: Stage2Items, scores: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Per method: the threshold fitted on train, then precision, recall and F1 per split."""
    rows = []
    for method in METHODS:
        subject = f"baseline:{method}"
        train = split_scores(scores[method], items, TRAIN_SPLIT)
        threshold = fit_threshold(train)
        rows.append(_row("baseline_threshold", subject, threshold, len(train.scores)))
        for split in EVALUATED_SPLITS:
            evaluated = split_scores(scores[method], items, split)
            counts = confusion(evaluated, threshold) if threshold is not None else None
            for metric in ("precision", "recall", "f1"):
                value = getattr(counts, metric) if counts and len(evaluated.scores) else None
                rows.append(
                    _row(f"baseline_{metric}", f"{subject}/{split}", value, len(evaluated.scores))
                )
    return rows


def paper_rows(datacard_dir: Path = settings.DATACARD_DIR) -> list[dict[str, Any]]:
    """The paper's own figures, as `datacard/dataset.yaml` gives them (n: none in this release)."""
    return [
        _row(entry["metric"], entry["subject"], float(entry["value"]), None)
        for entry in load_metadata(datacard_dir).get("paper_reference_metrics", [])
    ]


def _row(metric: str, subject: str, value: float | None, n: int | None) -> dict[str, Any]:
    return {"stage": STAGE, "metric": metric, "subject": subject, "value": value, "n": n}


def compute_baselines(
    conn: duckdb.DuckDBPyConnection,
    previous: dict[str, str] | None,
    embedder: SentenceEmbedder | None = None,
) -> BaselineRun:
    """Score, fit and evaluate every stage-2 item; nothing is written but the embedding cache."""
    items = stage2_items(conn, release_splits(conn, previous))
    scores, embedded = method_scores(conn, items, embedder)
    texts = len(items.pairs.attributes) + len(items.pairs.prompts)
    return BaselineRun(
        rows=baseline_rows(items, scores) + paper_rows(),
        items=len(items.pairs),
        texts_embedded=embedded,
        texts_cached=texts - embedded,
    )


def write_metrics(conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Replace the baselines' rows, which the dbt model metrics_stage2_baselines reads."""
    conn.execute("create schema if not exists baselines")
    table = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("stage", pa.string()),
                ("metric", pa.string()),
                ("subject", pa.string()),
                ("value", pa.float64()),
                ("n", pa.int64()),
            ]
        ),
    )
    conn.register("baseline_rows", table)
    try:
        conn.execute(f"create or replace table {METRICS_TABLE} as select * from baseline_rows")
    finally:
        conn.unregister("baseline_rows")
