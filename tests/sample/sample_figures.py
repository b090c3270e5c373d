"""The study's label figures measured on a generated drop, the way the paper computes them."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from pathlib import Path
from statistics import mean

from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score

MIN_SHARED_ITEMS = 30


def records(folder: Path, stem: str):
    with (folder / f"{stem}.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _mean_pairwise_kappa(
    labels: dict[str, dict[tuple, bool]], left: list[str], right: list[str] | None = None
) -> float:
    """Cohen's kappa averaged over judge pairs that share enough items."""
    pairs = itertools.combinations(left, 2) if right is None else itertools.product(left, right)
    kappas = []
    for a, b in pairs:
        shared = sorted(labels[a].keys() & labels[b].keys())
        if len(shared) >= MIN_SHARED_ITEMS:
            kappas.append(
                cohen_kappa_score([labels[a][k] for k in shared], [labels[b][k] for k in shared])
            )
    return mean(kappas)


def measure(folder: Path) -> dict[str, float]:
    kinds = {a["annotator_id"]: a["kind"] for a in records(folder, "annotators")}
    real_users = {
        c.get("user_id") or c["hashed_ip"]: c["source_kind"] == "real"
        for c in records(folder, "conversations")
    }
    user_of = {a["attribute_id"]: a["user_id"] for a in records(folder, "attributes")}
    figures: dict[str, float] = {}

    stage1 = defaultdict(list)
    categories = defaultdict(int)
    for j in records(folder, "stage1_judgments"):
        stage1[real_users[user_of[j["attribute_id"]]]].append(j["label"])
        if j["label"] == "rejected":
            categories[j["failure_category"]] += 1
    for is_real, name in ((True, "real"), (False, "synthetic")):
        labels = stage1[is_real]
        figures[f"stage1_{name}_rejected"] = labels.count("rejected") / len(labels)
        figures[f"stage1_{name}_problematic"] = 1 - labels.count("accepted") / len(labels)
    figures["stage1_overgeneralization_share"] = categories["overgeneralization"] / sum(
        categories.values()
    )

    labels: dict[str, dict[tuple, bool]] = defaultdict(dict)
    for j in records(folder, "stage2_judgments"):
        labels[j["annotator_id"]][(j["attribute_id"], j["prompt_id"])] = j["relevant"]
    humans = sorted(a for a in labels if kinds[a] == "human")
    llms = sorted(a for a in labels if kinds[a] == "llm")
    human_labels = [v for a in humans for v in labels[a].values()]
    figures["stage2_items"] = len({k for a in labels for k in labels[a]})
    figures["stage2_human_relevant"] = sum(human_labels) / len(human_labels)
    for judge in llms:
        values = list(labels[judge].values())
        figures[f"stage2_relevant_{judge}"] = sum(values) / len(values)
    figures["kappa_human_human"] = _mean_pairwise_kappa(labels, humans)
    figures["kappa_llm_llm"] = _mean_pairwise_kappa(labels, llms)
    figures["kappa_human_llm"] = _mean_pairwise_kappa(labels, humans, llms)

    explicit = {
        i["item_id"]: i["mentions_attribute_explicitly"] for i in records(folder, "stage3_items")
    }
    ratings: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in records(folder, "stage3_ratings"):
        who = "human" if kinds[r["annotator_id"]] == "human" else r["annotator_id"]
        ratings[who][r["item_id"]].append(r["rating"])
    items = sorted(ratings["human"])
    human_mean = [mean(ratings["human"][i]) for i in items]
    figures["stage3_items"] = len(items)
    figures["stage3_human_mean"] = mean(human_mean)
    figures["stage3_no_better_share"] = sum(m <= 3 for m in human_mean) / len(items)
    figures["stage3_explicit_share"] = sum(explicit[i] for i in items) / len(items)
    figures["stage3_human_explicit_gap"] = mean(
        m for i, m in zip(items, human_mean, strict=True) if explicit[i]
    ) - mean(m for i, m in zip(items, human_mean, strict=True) if not explicit[i])
    for judge in llms:
        values = [ratings[judge][i][0] for i in items]
        figures[f"stage3_mean_{judge}"] = mean(values)
        figures[f"stage3_spearman_{judge}"] = spearmanr(values, human_mean).statistic
    return figures
