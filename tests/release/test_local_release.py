"""Releases to a local git dataset repo: splits, versions, changelog, card, Croissant, loading."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from datasets import Features, load_dataset
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData

from pipelines import settings
from pipelines.release.__main__ import main as cli
from pipelines.release.build import ReleaseOptions
from pipelines.release.card import load_metadata
from pipelines.release.configs import CONFIGS
from pipelines.release.loading import load_release
from pipelines.release.publish import publish_release
from pipelines.release.targets import LocalGitTarget
from tests.release import warehouse

PER_USER = [c.name for c in CONFIGS if c.per_user]


def publish(db: Path, target: LocalGitTarget, options: ReleaseOptions, **kwargs):
    with duckdb.connect(str(db), read_only=True) as conn:
        return publish_release(conn, target, options, **kwargs)


def manifest(repo: Path) -> dict:
    return json.loads((repo / "release.json").read_text())


def users_by_split(repo: Path, config: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((repo / "data" / config).glob("*.parquet")):
        split = path.name.split("-")[0]
        found.setdefault(split, set()).update(
            pq.read_table(path, columns=["user_id"])["user_id"].to_pylist()
        )
    return found


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def test_no_user_is_in_two_splits(first_release):
    repo = first_release.path
    assigned = json.loads((repo / "splits.json").read_text())["users"]
    for config in PER_USER:
        splits = users_by_split(repo, config)
        assert set(splits) == {"train", "validation", "test"}
        for split, users in splits.items():
            assert {assigned[u] for u in users} == {split}, config
    realized = manifest(repo)["splits"]["counts"]
    assert realized == {"train": 32, "validation": 4, "test": 4}


def test_users_keep_their_split_when_new_users_arrive(released, options):
    warehouse_db, local_target = released
    before = json.loads((local_target.path / "splits.json").read_text())["users"]
    warehouse.add_users(warehouse_db, 40, 60)
    result = publish(warehouse_db, local_target, options)
    after = json.loads((local_target.path / "splits.json").read_text())["users"]
    assert result.version == "1.1.0"
    assert len(after) == 60
    assert {user: after[user] for user in before} == before
    assert set(manifest(local_target.path)["splits"]["counts"].values()) == {48, 6}


def test_publishing_identical_content_is_a_noop(warehouse_db, local_target, options):
    first = publish(warehouse_db, local_target, options)
    second = publish(warehouse_db, local_target, options)
    assert first.published and first.version == "1.0.0"
    assert not second.published and second.plan.is_noop and second.version == "1.0.0"
    assert git(local_target.path, "rev-list", "--count", "main").strip() == "1"
    assert local_target.tags() == ["v1.0.0"]


def test_second_release_changelog_counts_rows_added_and_removed(released, options):
    warehouse_db, local_target = released
    warehouse.add_users(warehouse_db, 40, 45)
    with duckdb.connect(str(warehouse_db)) as conn:
        removed_relevance = conn.execute(
            "delete from main.stage2_relevance where attribute_id like 'attr_3_%'"
        ).fetchone()[0]
        conn.execute("update main.metrics set value = 0.44 where metric = 'cohen_kappa_mean'")
    publish(warehouse_db, local_target, options)
    entry = manifest(local_target.path)["changelog"][0]
    assert entry["version"] == "1.1.0" and entry["change"] == "minor"
    configs = entry["configs"]
    assert configs["users"] == {"added": 5, "removed": 0, "schema": ""}
    assert configs["conversations"]["added"] == 15
    assert configs["stage2_relevance"] == {"added": 30, "removed": removed_relevance, "schema": ""}
    assert configs["metrics"] == {"added": 1, "removed": 1, "schema": ""}
    assert configs["prompts"] == {"added": 0, "removed": 0, "schema": ""}
    card = (local_target.path / "README.md").read_text()
    changelog = card.split("## Changelog", 1)[1]
    assert changelog.index("### v1.1.0") < changelog.index("### v1.0.0")
    assert f"| `stage2_relevance` | 30 | {removed_relevance} |" in changelog


def test_card_passes_hub_metadata_parsing(first_release):
    repo = first_release.path
    card = DatasetCard.load(repo / "README.md")
    assert isinstance(card.data, DatasetCardData)
    data = card.data.to_dict()
    assert data["pretty_name"] and data["language"] == ["en"]
    licenses = load_metadata()["licenses"].values()
    assert data["license"] == sorted({part["id"] for part in licenses})
    (other,) = [part for part in licenses if part["id"] == "other"]
    assert (data["license_name"], data["license_link"]) == (other["name"], other["link"])
    assert data["size_categories"] == ["n<1K"]
    configs = MetadataConfigs.from_dataset_card_data(card.data)
    assert set(configs) == {c.name for c in CONFIGS}
    assert configs["prompts"]["data_files"] == [
        {"split": "train", "path": "data/prompts/train-*.parquet"}
    ]
    infos = DatasetInfosDict.from_dataset_card_data(card.data)
    stage2 = pq.read_schema(next((repo / "data/stage2_relevance").glob("test-*.parquet")))
    assert infos["stage2_relevance"].features == Features.from_arrow_schema(stage2)
    assert infos["users"].splits["train"].num_examples == 32
    headings = [line for line in card.text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Dataset summary",
        "## How to load",
        "## Dataset structure",
        "## The three stages and how labels were made",
        "## Figures",
        "## Metrics of this release",
        "## Personal data",
        "## Uses",
        "## Known limitations",
        "## Citation",
        "## Changelog",
    ]
    structure = card.text.split("## Dataset structure")[1].split("## The three stages")[0]
    for config in CONFIGS:
        schema = pq.read_schema(next((repo / "data" / config.name).glob("*.parquet")))
        for name in schema.names:
            assert f"| `{name}` |" in structure.split(f"### `{config.name}`")[1]
    assert (
        "| `consensus_relevant` | `bool` | Majority vote of the human annotators \\| true"
        in structure
    )
    assert "| stage2 | cohen_kappa_mean | human-human | 0.43 | 300 |" in card.text
    assert "| PERSON | turns.content | 12 |" in card.text
    assert 'revision="v1.0.0"' in card.text


def test_load_dataset_without_a_config_name_loads_the_default_config(first_release, tmp_path):
    default = load_metadata()["default_config"]
    card = DatasetCard.load(first_release.path / "README.md")
    assert [c["config_name"] for c in card.data.configs if c.get("default")] == [default]
    splits = manifest(first_release.path)["configs"][default]["splits"]
    loaded = load_dataset(str(first_release.path), cache_dir=str(tmp_path / "cache"))
    assert {split: len(ds) for split, ds in loaded.items()} == {
        split: info["rows"] for split, info in splits.items()
    }


def test_dataset_repo_keeps_parquet_and_images_in_lfs_without_git_lfs(first_release):
    attributes = git(first_release.path, "show", "v1.0.0:.gitattributes").splitlines()
    assert attributes == [
        f"{pattern} filter=lfs diff=lfs merge=lfs -text"
        for pattern in ("*.parquet", "*.png", "*.jpg")
    ]
    checked = git(first_release.path, "check-attr", "filter", "--", "data/users/x.parquet")
    assert checked.strip() == "data/users/x.parquet: filter: lfs"
    assert not git(first_release.path, "status", "--porcelain")


def test_load_dataset_round_trips_every_config_at_a_tag(released, options, tmp_path):
    warehouse_db, local_target = released
    first = manifest(local_target.path)
    warehouse.add_users(warehouse_db, 40, 50)
    publish(warehouse_db, local_target, options)
    for config in CONFIGS:
        loaded = load_release(config.name, "v1.0.0", repo=local_target.path, workdir=tmp_path)
        expected = first["configs"][config.name]["splits"]
        assert {split: len(ds) for split, ds in loaded.items()} == {
            split: info["rows"] for split, info in expected.items()
        }, config.name
        schema = pq.read_schema(local_target.path / expected["train"]["files"][0]["path"])
        assert loaded["train"].features == Features.from_arrow_schema(schema)
    latest = load_release("users", "v1.1.0", repo=local_target.path, workdir=tmp_path)
    assert sum(len(ds) for ds in latest.values()) == 50


def test_cli_loads_a_release_of_the_local_repo(first_release, capsys):
    code = cli(
        ["load", "--repo", str(first_release.path), "--version", "v1.0.0", "--config", "users"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "users at v1.0.0" in out and "num_rows: 32" in out
    with pytest.raises(LookupError, match="no release v9.9.9; releases: v1.0.0"):
        load_release("users", "v9.9.9", repo=first_release.path)


def test_card_only_change_is_a_patch_release(released, options, tmp_path):
    warehouse_db, local_target = released
    datacard = tmp_path / "datacard"
    shutil.copytree(settings.DATACARD_DIR, datacard)
    metadata = datacard / "dataset.yaml"
    metadata.write_text(
        metadata.read_text().replace("limitations:\n", 'limitations:\n  - "A new caveat."\n')
    )
    options.datacard_dir = datacard
    result = publish(warehouse_db, local_target, options)
    assert result.version == "1.0.1" and result.plan.change == "patch"
    entry = manifest(local_target.path)["changelog"][0]
    assert entry["summary"].startswith("Dataset card only")
    assert all(c["added"] == c["removed"] == 0 for c in entry["configs"].values())
    assert "A new caveat." in (local_target.path / "README.md").read_text()


def test_removed_column_is_a_major_release(released, options):
    warehouse_db, local_target = released
    with duckdb.connect(str(warehouse_db)) as conn:
        conn.execute("alter table main.stage3_preferences drop column generator_model")
    result = publish(warehouse_db, local_target, options)
    assert result.version == "2.0.0"
    entry = manifest(local_target.path)["changelog"][0]
    assert entry["configs"]["stage3_preferences"]["schema"] == "columns removed: generator_model"


def test_dry_run_prints_the_plan_and_publishes_nothing(released, options):
    warehouse_db, local_target = released
    warehouse.add_users(warehouse_db, 40, 42)
    result = publish(warehouse_db, local_target, options, dry_run=True)
    assert not result.published and result.version == "1.1.0"
    assert "users                +2 -0 rows" in result.summary()
    assert local_target.tags() == ["v1.0.0"]
    assert manifest(local_target.path)["version"] == "1.0.0"
