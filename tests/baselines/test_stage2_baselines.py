"""The stage-2 retrieval baselines of a real sample run: printed, in the card, recomputable from
the published files with scikit-learn, thresholds fitted on train only, embeddings cached."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from pipelines.baselines.stage2 import compute_baselines, previous_splits
from pipelines.baselines.text_scores import (
    CACHE_TABLE,
    Pairs,
    SentenceEmbedder,
    bm25_scores,
    cosine_scores,
)
from pipelines.release.card import load_metadata
from pipelines.release.targets import LocalGitTarget

TOLERANCE = 1e-9
METHODS = ("bm25", "embedding")


def _published(release: Path, config: str) -> dict[str, list[dict]]:
    """split -> rows of a published config."""
    rows: dict[str, list[dict]] = {}
    for path in sorted((release / "data" / config).glob("*.parquet")):
        rows.setdefault(path.name.split("-")[0], []).extend(pq.read_table(path).to_pylist())
    return rows


@pytest.fixture(scope="module")
def metrics(pipeline_run) -> dict[tuple[str, str], dict]:
    rows = _published(pipeline_run.release_dir, "metrics")["train"]
    return {(r["metric"], r["subject"]): r for r in rows if r["stage"] == "stage2"}


@pytest.fixture(scope="module")
def scored_items(pipeline_run) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """method -> split -> (scores, consensus) of the published items with a consensus, scored
    from the published texts by the real BM25 and the real embedding model."""
    release = pipeline_run.release_dir
    prompts = {r["prompt_id"]: r["prompt_text"] for r in _published(release, "prompts")["train"]}
    items = [
        (split, row["attribute"], prompts[row["prompt_id"]], row["consensus_relevant"])
        for split, rows in _published(release, "stage2_relevance").items()
        for row in rows
    ]
    pairs = Pairs.of_texts([a for _, a, _, _ in items], [p for _, _, p, _ in items])
    embedder = SentenceEmbedder()
    vectors = {text: embedder.embed(text) for text in {*pairs.attributes, *pairs.prompts}}
    scores = {
        "bm25": bm25_scores(pairs),
        "embedding": cosine_scores(vectors, pairs),
    }
    by_method = {}
    for method, values in scores.items():
        by_method[method] = {}
        for split in ("train", "validation", "test"):
            keep = [i for i, item in enumerate(items) if item[0] == split and item[3] is not None]
            by_method[method][split] = (
                values[keep],
                np.array([items[i][3] for i in keep], dtype=bool),
            )
    return by_method


def _best_train_threshold(scores: np.ndarray, relevant: np.ndarray) -> float:
    """scikit-learn's F1 at every train score; the highest score among the best."""
    candidates = sorted(set(scores.tolist()), reverse=True)
    f1 = [f1_score(relevant, scores >= t, zero_division=0) for t in candidates]
    return candidates[int(np.argmax(f1))]


def test_the_run_prints_both_baselines_f1_and_the_card_shows_them(pipeline_run):
    card = (pipeline_run.release_dir / "README.md").read_text(encoding="utf-8")
    for method in METHODS:
        for split in ("validation", "test"):
            assert f"baseline:{method}/{split}" in pipeline_run.output
            assert f"| stage2 | baseline_f1 | baseline:{method}/{split} |" in card
    assert "stage2 baseline_f1" in pipeline_run.output


def test_paper_figures_are_published_as_reference_rows_from_the_dataset_yaml(metrics):
    reference = load_metadata()["paper_reference_metrics"]
    assert {"baseline:bm25", "baseline:embedding"} <= {entry["subject"] for entry in reference}
    for entry in reference:
        row = metrics[(entry["metric"], entry["subject"])]
        assert row["value"] == entry["value"] and row["n"] is None


@pytest.mark.parametrize("method", METHODS)
def test_each_baseline_matches_scikit_learn_on_the_published_files(method, metrics, scored_items):
    train_scores, train_relevant = scored_items[method]["train"]
    threshold = metrics[("baseline_threshold", f"baseline:{method}")]
    assert threshold["n"] == len(train_scores)
    assert abs(threshold["value"] - _best_train_threshold(train_scores, train_relevant)) <= (
        TOLERANCE
    )
    for split in ("validation", "test"):
        scores, relevant = scored_items[method][split]
        predicted = scores >= threshold["value"]
        for metric, score in (
            ("precision", precision_score),
            ("recall", recall_score),
            ("f1", f1_score),
        ):
            row = metrics[(f"baseline_{metric}", f"baseline:{method}/{split}")]
            assert row["n"] == len(scores)
            assert abs(row["value"] - score(relevant, predicted, zero_division=0)) <= TOLERANCE


@pytest.fixture
def warehouse_copy(pipeline_run, tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(pipeline_run.warehouse, path)
    return path


def _split_users(pipeline_run) -> dict[str, str]:
    return previous_splits(LocalGitTarget(pipeline_run.release_dir))


def _figures(rows: list[dict]) -> dict[tuple[str, str], float | None]:
    return {(r["metric"], r["subject"]): r["value"] for r in rows}


def test_thresholds_are_fitted_on_train_only(pipeline_run, warehouse_copy):
    """Flipping every validation and test consensus changes their scores, never a threshold."""
    splits = _split_users(pipeline_run)
    held_out = [user for user, split in splits.items() if split != "train"]
    with duckdb.connect(str(warehouse_copy)) as conn:
        before = _figures(compute_baselines(conn, splits).rows)
        conn.execute(
            "update main.stage2_relevance set consensus_relevant = not consensus_relevant "
            "where list_contains(?, user_id)",
            [held_out],
        )
        after = _figures(compute_baselines(conn, splits).rows)
    for method in METHODS:
        threshold = ("baseline_threshold", f"baseline:{method}")
        test_f1 = ("baseline_f1", f"baseline:{method}/test")
        assert after[threshold] == before[threshold]
        assert after[test_f1] != before[test_f1]


def test_an_unchanged_stage2_table_embeds_nothing_and_fresh_vectors_equal_cached(
    pipeline_run, warehouse_copy
):
    splits = _split_users(pipeline_run)
    with duckdb.connect(str(warehouse_copy)) as conn:
        cached = compute_baselines(conn, splits)
        assert cached.texts_embedded == 0 and cached.texts_cached > 0
        # A tenth of the vectors, dropped from the cache, are embedded afresh.
        (dropped,) = conn.execute(
            f"delete from {CACHE_TABLE} where hash(text_sha256) % 10 = 0"
        ).fetchone()
        fresh = compute_baselines(conn, splits)
    assert 0 < dropped < cached.texts_cached
    assert fresh.texts_embedded == dropped
    assert fresh.rows == cached.rows
