"""The Hub target, run with the real huggingface_hub and datasets against an emulated Hub.

The emulated Hub listens on 127.0.0.1 and is reached through HF_ENDPOINT, exactly as a mirror
would be; nothing here contacts the real Hub.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.release.configs import CONFIGS
from pipelines.release.publish import publish_release
from pipelines.release.targets import HubTarget
from tests.release import warehouse
from tests.release.hub_emulator import HubEmulator

TOKEN = "hf_emulated_write_token"
REPO_ID = "test-org/personalization"

LOAD_EVERY_CONFIG = """
import json, sys
from datasets import load_dataset
repo_id, configs, revision = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
out = {}
for config in configs:
    loaded = load_dataset(repo_id, config, revision=revision)
    out[config] = {
        "rows": {split: len(ds) for split, ds in loaded.items()},
        "features": {split: ds.features.to_dict() for split, ds in loaded.items()},
    }
print(json.dumps(out))
"""


@pytest.fixture
def hub(monkeypatch, tmp_path):
    with HubEmulator(token=TOKEN) as emulated:
        monkeypatch.setenv("HF_ENDPOINT", emulated.url)
        monkeypatch.setenv("HF_TOKEN", TOKEN)
        monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
        yield emulated


def hub_target(hub: HubEmulator) -> HubTarget:
    return HubTarget(REPO_ID, TOKEN, private=True, endpoint=hub.url, retry_delay=0)


def publish(db: Path, target: HubTarget, options):
    with duckdb.connect(str(db), read_only=True) as conn:
        return publish_release(conn, target, options)


def load_from_hub(hub: HubEmulator, revision: str, tmp_path: Path) -> dict:
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_TOKEN": TOKEN,
        "HF_HUB_CACHE": str(tmp_path / f"load-{revision}" / "hub"),
        "HF_DATASETS_CACHE": str(tmp_path / f"load-{revision}" / "datasets"),
        "HF_DATASETS_OFFLINE": "0",
        "HF_HUB_OFFLINE": "0",
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    configs = ",".join(c.name for c in CONFIGS)
    result = subprocess.run(
        [sys.executable, "-c", LOAD_EVERY_CONFIG, REPO_ID, configs, revision],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_hub_release_round_trips_through_load_dataset(hub, warehouse_db, options, tmp_path):
    target = hub_target(hub)
    options.repo_id, options.repo_url = REPO_ID, target.location()
    options.files_on_hub = True
    first = publish(warehouse_db, target, options)
    assert first.published and first.version == "1.0.0"
    repo = hub.repos[REPO_ID]
    assert repo.private and set(repo.tags) == {"v1.0.0"}
    assert hub.calls["commit"] == 1  # one commit with every file
    assert all(
        blob.lfs
        for path, blob in repo.commits[repo.tags["v1.0.0"]].items()
        if path.endswith(".parquet")
    )

    tagged = repo.commits[repo.tags["v1.0.0"]]
    assert tagged[".gitattributes"].data.decode().splitlines() == [
        f"{pattern} filter=lfs diff=lfs merge=lfs -text"
        for pattern in ("*.parquet", "*.png", "*.jpg")
    ]
    croissant = json.loads(tagged["croissant.json"].data)
    assert croissant["url"] == f"{hub.url}/datasets/{REPO_ID}/tree/v1.0.0"
    assert all(
        item["contentUrl"] == f"{hub.url}/datasets/{REPO_ID}/resolve/v1.0.0/{item['@id']}"
        and item["sha256"] == hashlib.sha256(tagged[item["@id"]].data).hexdigest()
        for item in croissant["distribution"]
        if item["@type"] == "cr:FileObject"
    )

    again = publish(warehouse_db, target, options)
    assert not again.published and hub.calls["commit"] == 1 and set(repo.tags) == {"v1.0.0"}

    warehouse.add_users(warehouse_db, 40, 50)
    hub.fail_next["commit"] = 1  # a transient 503: retried with backoff
    second = publish(warehouse_db, target, options)
    assert second.version == "1.1.0" and set(repo.tags) == {"v1.0.0", "v1.1.0"}

    loaded = load_from_hub(hub, "v1.0.0", tmp_path)
    for config in CONFIGS:
        expected = first.plan.manifest["configs"][config.name]["splits"]
        assert loaded[config.name]["rows"] == {s: info["rows"] for s, info in expected.items()}
    assert loaded["users"]["rows"] == {"train": 32, "validation": 4, "test": 4}
    turns = loaded["conversations"]["features"]["train"]["turns"]
    assert turns["_type"] == "List" and set(turns["feature"]) == {"turn_index", "role", "content"}
    latest = load_from_hub(hub, "v1.1.0", tmp_path)
    assert sum(latest["users"]["rows"].values()) == 50
    assert 'revision="v1.1.0"' in second.load_command


def test_hub_writes_need_the_token(hub, warehouse_db, options):
    target = HubTarget(REPO_ID, "hf_wrong_token", private=True, endpoint=hub.url, retry_delay=0)
    with pytest.raises(Exception, match="401"):
        publish(warehouse_db, target, options)
    assert REPO_ID not in hub.repos
