"""Load one release of the local dataset repo, exactly as tagged.

`datasets.load_dataset(folder, revision=...)` ignores the revision of a local folder and can serve
a cache built from another release, so the tagged tree is extracted into a fresh folder and
loaded with a fresh cache of its own.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from datasets import DatasetDict, load_dataset

from pipelines import settings
from pipelines.release import versioning
from pipelines.release.targets import LocalGitTarget


def checkout_release(version: str, into: Path, repo: Path | None = None) -> Path:
    """Extract release `version` of the local dataset repo into `into` (a new folder)."""
    target = LocalGitTarget(repo or settings.release_dir())
    tag = versioning.tag(version)
    tags = target.tags()
    if tag not in tags:
        known = ", ".join(sorted(tags)) or "none"
        raise LookupError(f"{target.location()} has no release {tag}; releases: {known}")
    target.fetch(tag, into)
    return into


def load_release(
    config: str, version: str, repo: Path | None = None, workdir: Path | None = None
) -> DatasetDict:
    """Every split of `config` at release `version`, held in memory; nothing left on disk."""
    with tempfile.TemporaryDirectory(prefix="release-load-", dir=workdir) as tmp:
        tree = checkout_release(version, Path(tmp) / "tree", repo)
        return load_dataset(
            str(tree), config, cache_dir=str(Path(tmp) / "cache"), keep_in_memory=True
        )
