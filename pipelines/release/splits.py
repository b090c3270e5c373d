"""User-grouped, stable splits: no user in two splits, and a user keeps their split forever.
The same holds for a user's shard, the group of users whose rows share a file.

Users of the previous release keep the split they had. New users are ordered by a keyed hash
(HMAC-SHA256 of the seed and the user id) and dealt, in that order, to the split furthest below
its target count, so the realized ratios track the configured ones without moving anyone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipelines import settings
from pipelines.privacy.keyed_hash import keyed_digest


@dataclass(frozen=True)
class SplitAssignment:
    """Which split each user is in, and how far the realized shares are from the targets."""

    users: dict[str, str]
    ratios: dict[str, float]
    kept: int
    new: int

    def realized(self) -> dict[str, float]:
        counts = Counter(self.users.values())
        total = len(self.users) or 1
        return {split: round(counts[split] / total, 4) for split in self.ratios}

    def counts(self) -> dict[str, int]:
        counts = Counter(self.users.values())
        return {split: counts[split] for split in self.ratios}


def keyed_rank(seed: str, user_id: str) -> bytes:
    return keyed_digest(seed.encode(), user_id)


def target_counts(total: int, ratios: Mapping[str, float]) -> dict[str, int]:
    """Whole user counts per split closest to the ratios (largest remainder)."""
    exact = {split: total * share for split, share in ratios.items()}
    counts = {split: int(value) for split, value in exact.items()}
    by_remainder = sorted(ratios, key=lambda s: (-(exact[s] - counts[s]), list(ratios).index(s)))
    for split in by_remainder[: total - sum(counts.values())]:
        counts[split] += 1
    return counts


def assign_splits(
    user_ids: Iterable[str],
    ratios: Mapping[str, float],
    seed: str,
    previous: Mapping[str, str] | None = None,
) -> SplitAssignment:
    """Keep previous assignments of users still present; deal new users by keyed hash."""
    users = sorted(set(user_ids))
    previous = previous or {}
    unknown = {split for split in previous.values() if split not in ratios}
    if unknown:
        raise ValueError(
            f"the previous release has splits {sorted(unknown)} that the configured ratios "
            f"{sorted(ratios)} lack: a user may not change split, so keep those splits"
        )
    assigned = {user: previous[user] for user in users if user in previous}
    kept = len(assigned)
    targets = target_counts(len(users), ratios)
    counts = Counter(assigned.values())
    order = [split for split, share in ratios.items() if share > 0]
    for user in sorted((u for u in users if u not in assigned), key=lambda u: keyed_rank(seed, u)):
        split = max(order, key=lambda s: (targets[s] - counts[s], ratios[s], -order.index(s)))
        assigned[user] = split
        counts[split] += 1
    return SplitAssignment(
        users=dict(sorted(assigned.items())), ratios=dict(ratios), kept=kept, new=len(users) - kept
    )


def assign_shards(
    users: Iterable[str],
    seed: str,
    previous: Mapping[str, int] | None = None,
    capacity: int | None = None,
) -> dict[str, int]:
    """Keep each user's shard from the previous release; new users, ordered by keyed hash, fill
    the last shard up to `capacity` users (settings.release_shard_users()), then open new ones.
    A user's shard never changes, so the files of shards without changed rows stay byte for byte
    as they were published, and an increment rewrites at most one shard beyond those of the users
    whose rows changed."""
    capacity = capacity or settings.release_shard_users()
    present = sorted(set(users))
    previous = previous or {}
    shards = {user: int(previous[user]) for user in present if user in previous}
    occupancy = Counter(shards.values())
    shard = max(occupancy, default=0)
    for user in sorted((u for u in present if u not in shards), key=lambda u: keyed_rank(seed, u)):
        if occupancy[shard] >= capacity:
            shard += 1
        shards[user] = shard
        occupancy[shard] += 1
    return dict(sorted(shards.items()))
