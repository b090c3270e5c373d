"""Fixtures: a small generated drop with its ground-truth manifest, landed in a warehouse."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipelines.privacy.config import ScrubberConfig
from pipelines.sample.generator import SampleConfig, generate
from tests.ingest.test_ingest import ingest

DROP_ID = "privacy-test-drop"
TEST_KEY = "test-key-of-the-privacy-tests-0123456789"
# The generated drop's shape: small, yet with a user planted to fail each of most filter rules.
DROP_SHAPE = {"seed": 7, "conversations": 60, "users": 8}


@pytest.fixture(scope="session")
def generated_drop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A seeded drop shaped like the study (small), and the manifest of what was planted in it."""
    root = tmp_path_factory.mktemp("privacy-drops")
    folder = root / "drops" / DROP_ID
    manifest = root / f"{DROP_ID}.pii-manifest.json"
    generate(SampleConfig(out=folder, pii_manifest=manifest, **DROP_SHAPE))
    return folder, manifest


@pytest.fixture(scope="session")
def scrubber_config() -> ScrubberConfig:
    return ScrubberConfig.load()


@pytest.fixture(autouse=True)
def _hash_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINES_HASH_KEY", TEST_KEY)


def land(instance: dg.DagsterInstance, warehouse, folder: Path) -> None:
    """The drop at `folder` ingested by the real ingest asset."""
    assert ingest(instance, warehouse, folder).success


@pytest.fixture
def landed(instance, warehouse, warehouse_path, generated_drop):
    """The generated drop ingested by the real ingest asset."""
    land(instance, warehouse, generated_drop[0])
    return warehouse_path
