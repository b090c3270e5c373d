"""The dataset_release asset of the real definitions: what it publishes, and what blocks it."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.cli_report import release_summary
from pipelines.defs.release import defs as release_defs
from pipelines.defs.release.assets import dataset_release
from pipelines.defs.release.resources import ReleaseTargetResource, release_target
from pipelines.release.targets import HubTarget, LocalGitTarget

RELEASE_KEY = dg.AssetKey("dataset_release")


@pytest.fixture
def release_asset(warehouse_db) -> dg.AssetsDefinition:
    """The asset of the release definitions, wired as pipelines/definitions.py wires them."""
    wired = dg.Definitions.merge(
        release_defs,
        dg.Definitions(resources={"warehouse": DuckDBResource(database=str(warehouse_db))}),
    )
    dg.Definitions.validate_loadable(wired)
    assert wired.resolve_assets_def(RELEASE_KEY).group_names_by_key[RELEASE_KEY] == "release"
    assert list(release_defs.assets) == [dataset_release]
    return dataset_release


@pytest.fixture
def resources(warehouse_db, tmp_path):
    return {
        "warehouse": DuckDBResource(database=str(warehouse_db)),
        "release_target": ReleaseTargetResource(local_dir=str(tmp_path / "dataset_repo")),
    }


def test_release_asset_publishes_a_local_release(release_asset, resources, tmp_path, instance):
    result = dg.materialize([release_asset], resources=resources, instance=instance)
    metadata = result.asset_materializations_for_node("dataset_release")[0].metadata
    assert metadata["version"].value == "v1.0.0"
    assert metadata["path"].value == str(tmp_path / "dataset_repo")
    assert metadata["published"].value is True
    assert metadata["rows"].value["users"] == {"train": 32, "validation": 4, "test": 4}
    assert metadata["split_ratios_realized"].value == {"train": 0.8, "validation": 0.1, "test": 0.1}
    assert metadata["load_command"].value == (
        f"python -m pipelines.release load --repo {tmp_path / 'dataset_repo'} "
        "--version v1.0.0 --config stage2_relevance"
    )
    figures = metadata["figures"].value
    assert figures.count("](data:image/png;base64,") == len(
        list((tmp_path / "dataset_repo" / "images").glob("*.png"))
    )
    assert "Release v1.0.0 (published)" in release_summary(instance)
    again = dg.materialize([release_asset], resources=resources, instance=instance)
    assert (
        again.asset_materializations_for_node("dataset_release")[0].metadata["published"].value
        is False
    )
    assert "Release v1.0.0 (unchanged, nothing published)" in release_summary(instance)
    assert LocalGitTarget(tmp_path / "dataset_repo").tags() == ["v1.0.0"]


def test_failed_blocking_check_upstream_blocks_the_release(release_asset, resources, tmp_path):
    @dg.asset(key="stage2_relevance")
    def stage2_relevance() -> None:
        """Stands in for the dbt mart; the warehouse fixture already holds its rows."""

    @dg.asset_check(asset=stage2_relevance, blocking=True)
    def consensus_is_a_majority_vote() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="consensus disagrees with votes")

    result = dg.materialize(
        [stage2_relevance, consensus_is_a_majority_vote, release_asset],
        resources=resources,
        raise_on_error=False,
    )
    assert not result.success
    assert result.asset_materializations_for_node("dataset_release") == []
    assert LocalGitTarget(tmp_path / "dataset_repo").tags() == []


def test_target_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PIPELINES_RELEASE_DIR", str(tmp_path / "repo"))
    monkeypatch.delenv("PIPELINES_HUB_REPO_ID", raising=False)
    local = release_target().target()
    assert isinstance(local, LocalGitTarget) and local.path == tmp_path / "repo"

    monkeypatch.setenv("PIPELINES_HUB_REPO_ID", "org/dataset")
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    monkeypatch.setenv("PIPELINES_HUB_PRIVATE", "false")
    resource = release_target()
    assert isinstance(resource.hub_token, dg.EnvVar)  # the secret itself is not in the config
    hub = resource.model_copy(update={"hub_token": "hf_secret"}).target()
    assert isinstance(hub, HubTarget) and hub.repo_id == "org/dataset" and hub.private is False
