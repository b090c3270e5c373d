"""croissant.json: valid Croissant 1.1, read offline by mlcroissant, checksums, tag-pinned URLs."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import duckdb
import mlcroissant as mlc

from pipelines.release.build import plan_release
from pipelines.release.card import load_metadata
from pipelines.release.croissant import CROISSANT_VERSION, RAI_VERSION, mart_constraints
from pipelines.release.publish import publish_release
from pipelines.release.targets import LocalGitTarget
from tests.release import warehouse


def publish(db: Path, target: LocalGitTarget, options) -> Path:
    with duckdb.connect(str(db), read_only=True) as conn:
        publish_release(conn, target, options)
    return target.path


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_every_record_set_yields_the_rows_of_release_json(first_release):
    repo = first_release.path
    manifest = read_json(repo / "release.json")
    dataset = mlc.Dataset(jsonld=repo / "croissant.json")
    assert not dataset.metadata.issues.errors
    assert {r.uuid for r in dataset.metadata.record_sets} == set(manifest["configs"])
    for name, config in manifest["configs"].items():
        splits = Counter(record[f"{name}/split"].decode() for record in dataset.records(name))
        assert splits == {split: info["rows"] for split, info in config["splits"].items()}, name


def test_every_published_file_is_listed_with_the_sha256_of_its_bytes(first_release):
    repo = first_release.path
    croissant = read_json(repo / "croissant.json")
    listed = {
        item["@id"]: item for item in croissant["distribution"] if item["@type"] == "cr:FileObject"
    }
    published = {p.relative_to(repo).as_posix() for p in repo.glob("data/*/*.parquet")}
    assert set(listed) == published
    manifest_files = [
        entry
        for config in read_json(repo / "release.json")["configs"].values()
        for split in config["splits"].values()
        for entry in split["files"]
    ]
    assert {entry["path"] for entry in manifest_files} == published
    for entry in manifest_files:
        data = (repo / entry["path"]).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert entry["sha256"] == listed[entry["path"]]["sha256"] == digest
        assert entry["size"] == len(data)
        assert listed[entry["path"]]["contentSize"] == f"{len(data)} B"
        config = entry["path"].split("/")[1]
        assert listed[entry["path"]]["cr:containedIn"] == {
            "@id": f"parquet-files-for-config-{config}"
        }


def test_urls_name_the_release_tag(warehouse_db, local_target, options, tmp_path):
    publish(warehouse_db, local_target, options)
    warehouse.add_users(warehouse_db, 40, 45)
    repo = publish(warehouse_db, local_target, options)
    croissant = read_json(repo / "croissant.json")
    assert croissant["url"] == f"{options.repo_url}/tree/v1.1.0"
    assert croissant["version"] == "1.1.0"
    files = [item for item in croissant["distribution"] if item["@type"] == "cr:FileObject"]
    assert all(item["contentUrl"] == item["@id"] for item in files)

    options.files_on_hub = True
    with duckdb.connect(str(warehouse_db), read_only=True) as conn:
        plan = plan_release(conn, tmp_path / "staging", None, options)
    hub_form = read_json(plan.staging / "croissant.json")
    assert hub_form["url"] == f"{options.repo_url}/tree/v1.0.0"
    hub_files = [item for item in hub_form["distribution"] if item["@type"] == "cr:FileObject"]
    assert hub_files and all(
        item["contentUrl"] == f"{options.repo_url}/resolve/v1.0.0/{item['@id']}"
        for item in hub_files
    )
    assert not mlc.Dataset(jsonld=hub_form).metadata.issues.errors


def test_keys_and_references_are_the_marts_tests(first_release, options):
    repo = first_release.path
    keys, references = mart_constraints(options.marts_dir)
    record_sets = {r["@id"]: r for r in read_json(repo / "croissant.json")["recordSet"]}
    for config in options.configs:
        record_set = record_sets[config.name]
        key = record_set.get("key", [])
        key = key if isinstance(key, list) else [key]
        assert [k["@id"] for k in key] == [f"{config.name}/{c}" for c in keys[config.table]]
        declared = {
            f"{config.name}/{column}": {"field": {"@id": f"{model}/{field}"}}
            for column, (model, field) in references.get(config.table, {}).items()
        }
        found = {f["@id"]: f["references"] for f in record_set["field"] if "references" in f}
        assert found == declared, config.name
    assert references["stage2_relevance"]["user_id"] == ("users", "user_id")


def test_licences_and_responsible_ai_fields_come_from_dataset_yaml(first_release):
    repo = first_release.path
    metadata = load_metadata()
    croissant = read_json(repo / "croissant.json")
    assert croissant["conformsTo"] == [CROISSANT_VERSION, RAI_VERSION]
    assert sorted(croissant["license"]) == sorted(
        {part["link"] for part in metadata["licenses"].values()}
    )
    parsed = mlc.Dataset(jsonld=repo / "croissant.json").metadata
    for key in metadata["responsible_ai"]:
        assert getattr(parsed, key), key
    assert parsed.data_limitations == metadata["limitations"]
    stage2_rows = sum(
        s["rows"]
        for s in read_json(repo / "release.json")["configs"]["stage2_relevance"]["splits"].values()
    )
    assert str(stage2_rows) in parsed.annotations_per_item
    assert "{rows[" not in parsed.annotations_per_item
