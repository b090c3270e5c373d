"""The card's kappa matrix agrees with scikit-learn's Cohen's kappa for every pair of judges,
whether its counts are summed over one slice of items or many."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from pipelines.release import figures
from pipelines.release.figures import kappa_matrix


@pytest.mark.parametrize("slice_items", [figures.KAPPA_SLICE_ITEMS, 7], ids=["one-slice", "slices"])
def test_each_pairs_kappa_is_scikit_learns_on_the_items_both_answered(slice_items, monkeypatch):
    monkeypatch.setattr(figures, "KAPPA_SLICE_ITEMS", slice_items)
    rng = np.random.default_rng(7)
    answers = rng.integers(0, 2, size=(400, 6)).astype(np.int8)
    answers[rng.random(answers.shape) < 0.4] = -1  # items a judge did not answer
    answers[:, 5] = -1
    answers[:3, 5] = 1  # a judge sharing three items with the others
    answers[:, 4] = np.where(answers[:, 4] >= 0, 1, -1)  # a judge who always says yes
    matrix = kappa_matrix(answers, min_shared_items=5)
    for i in range(6):
        for j in range(6):
            shared = (answers[:, i] >= 0) & (answers[:, j] >= 0)
            a, b = answers[shared, i], answers[shared, j]
            if i == j or shared.sum() < 5:
                assert math.isnan(matrix[i, j]), (i, j)
            elif len(set(a) | set(b)) == 1:
                assert math.isnan(matrix[i, j]), "kappa is undefined when chance agreement is 1"
            else:
                expected = cohen_kappa_score(a, b)
                assert math.isclose(matrix[i, j], expected, rel_tol=1e-12, abs_tol=1e-12), (i, j)
