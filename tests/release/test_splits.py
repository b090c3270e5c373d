"""Split assignment: grouped by user, deterministic, stable across releases."""

import pytest

from pipelines.release.splits import assign_splits, target_counts

RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}
USERS = [f"user_{i:03d}" for i in range(77)]


def test_assignment_is_deterministic_and_hits_the_target_counts():
    first = assign_splits(USERS, RATIOS, "seed")
    assert first == assign_splits(reversed(USERS), RATIOS, "seed")
    assert first.counts() == target_counts(77, RATIOS) == {"train": 61, "validation": 8, "test": 8}
    assert first.users != assign_splits(USERS, RATIOS, "another seed").users


def test_users_keep_their_split_when_new_users_arrive():
    before = assign_splits(USERS[:50], RATIOS, "seed")
    after = assign_splits(USERS, RATIOS, "seed", previous=before.users)
    assert {u: after.users[u] for u in before.users} == before.users
    assert (after.kept, after.new) == (50, 27)
    assert after.counts() == {"train": 61, "validation": 8, "test": 8}


def test_removed_users_leave_and_zero_ratio_splits_stay_empty():
    previous = assign_splits(USERS, RATIOS, "seed").users
    shrunk = assign_splits(USERS[:40], {"train": 0.9, "validation": 0.1, "test": 0.0}, "s", {})
    assert shrunk.counts()["test"] == 0
    kept = assign_splits(USERS[10:], RATIOS, "seed", previous)
    assert set(kept.users) == set(USERS[10:])


def test_a_previous_split_missing_from_the_ratios_is_refused():
    with pytest.raises(ValueError, match="may not change split"):
        assign_splits(USERS, {"train": 0.9, "test": 0.1}, "seed", {"user_000": "validation"})
