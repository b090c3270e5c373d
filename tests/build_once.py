"""Artifacts built once per test session, shared by every pytest-xdist worker.

Each worker has its own base temporary folder; they share its parent. The first worker to ask for
an artifact builds it there under a file lock while the others wait, then every worker reads the
same folder. A failed build is recorded, so the others fail at once with the same message instead
of building again. Without xdist the session's own base folder is used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

DONE = ".built"
FAILED = ".failed"


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """The folder `name`, filled by `build(folder)` the first time any worker asks for it."""
    root = shared_root(tmp_path_factory)
    folder = root / name
    with FileLock(str(root / f"{name}.lock")):
        if (folder / DONE).exists():
            return folder
        if (root / f"{name}{FAILED}").exists():
            pytest.fail((root / f"{name}{FAILED}").read_text(), pytrace=False)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        try:
            build(folder)
        except BaseException as error:
            (root / f"{name}{FAILED}").write_text(f"building {name} failed: {error}"[-5000:])
            raise
        (folder / DONE).touch()
    return folder
