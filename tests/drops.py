"""Small drops cut from the bundled sample, for tests whose runs must be quick."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipelines import settings


def prompts_only_drop(folder: Path) -> Path:
    """The bundled sample's prompts and annotators in `folder` (made, or refreshed): a drop that
    is quick to ingest and scrub."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("prompts.jsonl", "annotators.jsonl"):
        shutil.copy(settings.SAMPLE_DROP / name, folder / name)
    return folder
