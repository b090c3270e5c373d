"""Shards: a user's shard is fixed at their first release; new users fill the last shard, then
open new ones, so an increment touches at most one shard of earlier users."""

from __future__ import annotations

from pipelines.release.splits import assign_shards

USERS = [f"user_{i:03d}" for i in range(25)]


def test_new_users_fill_the_last_shard_then_open_new_ones():
    first = assign_shards(USERS[:12], "seed", capacity=5)
    assert sorted(first.values()) == [0] * 5 + [1] * 5 + [2] * 2
    assert first == assign_shards(reversed(USERS[:12]), "seed", capacity=5)

    second = assign_shards(USERS, "seed", previous=first, capacity=5)
    assert {u: second[u] for u in first} == first, "nobody moves"
    new = [second[u] for u in USERS[12:]]
    assert sorted(new) == [2] * 3 + [3] * 5 + [4] * 5, "the last shard fills up first"


def test_a_user_who_left_frees_no_place_in_earlier_shards():
    first = assign_shards(USERS[:10], "seed", capacity=5)
    gone = next(u for u, shard in first.items() if shard == 0)
    kept = {u: s for u, s in first.items() if u != gone}
    later = assign_shards([*kept, "user_new"], "seed", previous=first, capacity=5)
    assert {u: later[u] for u in kept} == kept
    assert later["user_new"] == 2, "shards 0 and 1 are not rewritten for a newcomer"
