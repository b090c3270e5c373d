"""What `pipelines run` checks before it starts (the data folder, the hash key, every drop path),
the Dagster instance it runs on, and the contract's JSON Schemas it writes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pipelines import settings
from pipelines.yaml_text import load_yaml


def instance_config(home: Path) -> dict:
    """The root dagster.yaml, its local storage, artifacts and compute logs under `home` rather
    than where its relative paths would put them (the working directory)."""
    config = load_yaml((settings.PROJECT_ROOT / "dagster.yaml").read_text())
    storage = config.get("storage", {})
    for local in (storage.get("sqlite"), storage.get("custom", {}).get("config")):
        if local and "base_dir" in local:
            local["base_dir"] = str(home / "storage")
    for section, folder in (
        ("local_artifact_storage", "artifacts"),
        ("compute_logs", "compute_logs"),
    ):
        if "base_dir" in config.get(section, {}).get("config", {}):
            config[section]["config"]["base_dir"] = str(home / folder)
    return config


def dagster_instance():
    """The instance the root dagster.yaml configures, with its local storage, artifacts and compute
    logs in settings.dagster_dir() rather than where the yaml's relative paths would put them (the
    working directory). That folder gets the yaml it runs on, so `dagster dev` opens the same
    instance with DAGSTER_HOME set to it."""
    import dagster as dg
    import yaml

    home = settings.dagster_dir()
    config = instance_config(home)
    home.mkdir(parents=True, exist_ok=True)
    written = home / "dagster.yaml.partial"
    written.write_text(yaml.safe_dump(config, sort_keys=False))
    written.replace(home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


def unwritable_data_dir() -> str | None:
    """Why the data folder (created if missing) cannot be written, or None when it can."""
    folder = settings.data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as error:
        return (
            f"{folder}: the data folder (PIPELINES_DATA_DIR) cannot be written "
            f"({error.strerror or error}); nothing was run"
        )


def hash_key_problem() -> str | None:
    """Why the run's hash key cannot build this warehouse (too short, or not the key that built
    it), or None when it can; checked before any drop is touched."""
    import duckdb

    from pipelines.privacy.warehouse_key import HashKeyMismatch, check_warehouse_key

    try:
        key = settings.hash_key()
    except ValueError as error:
        return f"{error}; nothing was run"
    warehouse = settings.duckdb_path()
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True, config=settings.duckdb_config()) as conn:
        try:
            check_warehouse_key(conn, key)
        except HashKeyMismatch as error:
            return f"{warehouse}: {error}"
    return None


def drop_path_problem(folder: Path) -> str | None:
    """Why a path given to `pipelines run` is no drop folder at all, in one line; None if it is
    one: an existing folder that holds an export of the contract or a manifest. A drop folder
    that fails its own checks (a link in it, a bad name) is not refused here: it fails in the
    run, naming why, and the other drops go on."""
    from pipelines.ingest import DropError
    from pipelines.ingest.drop import find_export_files

    if not folder.exists():
        return f"{folder}: no such drop folder"
    if not folder.is_dir():
        return f"{folder}: not a folder; a drop is a folder of exports"
    try:
        exports, _ = find_export_files(folder)
    except DropError:
        return None
    if not exports and not (folder / "manifest.json").is_file():
        return (
            f"{folder}: not a drop folder: no export of the contract (<table>.jsonl, "
            "docs/raw-data-contract.md) and no manifest.json"
        )
    return None
