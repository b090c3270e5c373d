"""Semantic versions of the release, decided from what changed since the previous one.

major: a config or a column of it disappeared, or a column changed type (loaders break);
minor: rows or configs or columns were added or changed; patch: only the card changed;
nothing: the release is identical to the previous one and publishing it is a no-op.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

INITIAL_VERSION = "1.0.0"
_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")


def parse(version: str) -> tuple[int, int, int]:
    match = _SEMVER.match(version)
    if not match:
        raise ValueError(f"{version!r} is not a semantic version like v1.2.3")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def tag(version: str) -> str:
    return f"v{version.removeprefix('v')}"


def latest(tags: list[str]) -> str | None:
    """The highest semantic version among tags; other tags are ignored."""
    versions = [t for t in tags if _SEMVER.match(t)]
    return max(versions, key=parse).removeprefix("v") if versions else None


def bump(previous: str | None, change: str) -> str:
    if previous is None:
        return INITIAL_VERSION
    major, minor, patch = parse(previous)
    if change == "major":
        return f"{major + 1}.0.0"
    if change == "minor":
        return f"{major}.{minor + 1}.0"
    if change == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise ValueError(f"unknown change {change!r}")


@dataclass
class ConfigChange:
    """How one config differs from the previous release."""

    added: int = 0
    removed: int = 0
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    columns_retyped: list[str] = field(default_factory=list)
    config_added: bool = False
    config_removed: bool = False

    @property
    def breaking(self) -> bool:
        return bool(self.config_removed or self.columns_removed or self.columns_retyped)

    @property
    def changed(self) -> bool:
        return bool(
            self.breaking or self.config_added or self.columns_added or self.added or self.removed
        )

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value}


def schema_change(old_columns: dict[str, str], new_columns: dict[str, str]) -> ConfigChange:
    return ConfigChange(
        columns_added=[c for c in new_columns if c not in old_columns],
        columns_removed=[c for c in old_columns if c not in new_columns],
        columns_retyped=[
            c for c in new_columns if c in old_columns and old_columns[c] != new_columns[c]
        ],
    )


def change_kind(previous_version: str | None, changes: dict[str, ConfigChange]) -> str | None:
    """major / minor for data changes, None when the data is the same as the previous release."""
    if previous_version is None:
        return "initial"
    if any(c.breaking for c in changes.values()):
        return "major"
    if any(c.changed for c in changes.values()):
        return "minor"
    return None


def content_sha256(configs: dict[str, dict[str, Any]]) -> str:
    """Identity of the whole release's data: the per-split content hashes of every config."""
    identity = {
        name: {split: info["content_sha256"] for split, info in sorted(config["splits"].items())}
        for name, config in sorted(configs.items())
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
