"""Dagster instances for tests: real, on disk, on the storage the root dagster.yaml configures,
each started from a copy of one created once (tests/conftest.py `new_instance_home`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from pipelines.cli_checks import instance_config


@contextmanager
def instance_in(folder: Path, new_instance_home: Path) -> Iterator[dg.DagsterInstance]:
    """An instance in `folder`/dagster, started from a copy of `new_instance_home`."""
    shutil.copytree(new_instance_home, folder / "dagster")
    storage = instance_config(folder / "dagster")["storage"]
    with dg.instance_for_test(overrides={"storage": storage}) as temporary:
        yield temporary
