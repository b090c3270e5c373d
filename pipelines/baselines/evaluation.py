"""A score becomes a label: the threshold with the best train F1, then precision, recall and F1.

Ratios follow the LLM judges' metrics (dbt/models/metrics/metrics_stage2_judges.sql): items with a
tied consensus are left out, and a ratio whose denominator is 0 is 0, as scikit-learn's
zero_division=0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scores:
    """The items of one split that have a consensus: their scores and consensus labels."""

    scores: np.ndarray
    relevant: np.ndarray


@dataclass(frozen=True)
class Confusion:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 0.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 0.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.true_positives + self.false_positives + self.false_negatives
        return 2 * self.true_positives / denominator if denominator else 0.0


def confusion(split: Scores, threshold: float) -> Confusion:
    """Counts when an item is labelled relevant if its score is at least the threshold."""
    predicted = split.scores >= threshold
    return Confusion(
        true_positives=int(np.sum(predicted & split.relevant)),
        false_positives=int(np.sum(predicted & ~split.relevant)),
        false_negatives=int(np.sum(~predicted & split.relevant)),
    )


def fit_threshold(train: Scores) -> float | None:
    """The train score that, as a threshold, gives the best train F1; the highest such score on a
    tie (fewest items labelled relevant). None without train items.

    Items sorted by score, descending: the labels above each distinct score are a running sum.
    """
    if not len(train.scores):
        return None
    order = np.argsort(-train.scores, kind="stable")
    scores, relevant = train.scores[order], train.relevant[order]
    last_of_each_score = np.flatnonzero(np.append(scores[1:] != scores[:-1], True))
    true_positives = np.cumsum(relevant)[last_of_each_score]
    false_positives = np.cumsum(~relevant)[last_of_each_score]
    false_negatives = int(relevant.sum()) - true_positives
    f1 = [
        Confusion(int(tp), int(fp), int(fn)).f1
        for tp, fp, fn in zip(true_positives, false_positives, false_negatives, strict=True)
    ]
    return float(scores[last_of_each_score[int(np.argmax(f1))]])
