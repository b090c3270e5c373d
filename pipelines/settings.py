"""Every setting the pipeline reads from the environment, in one place.

Importing this module (the package does it first) also switches off what would call out: telemetry
of dbt, Great Expectations and Dagster, Hugging Face downloads, and tldextract's public suffix list
fetch. Nothing here downloads anything.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_OFFLINE_DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    # Release uploads use the Hub's plain LFS HTTP protocol, the same against the real Hub and the
    # emulated one the tests run; Xet would need its own storage service.
    "HF_HUB_DISABLE_XET": "1",
}
for _name, _value in _OFFLINE_DEFAULTS.items():
    os.environ.setdefault(_name, _value)


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


DATA_DIR = _path("PIPELINES_DATA_DIR", PROJECT_ROOT / "data")
os.environ.setdefault("TLDEXTRACT_CACHE", str(DATA_DIR / "cache" / "tldextract"))

SAMPLES_DIR = PROJECT_ROOT / "samples"
SAMPLE_DROP = SAMPLES_DIR / "drops" / "study-sample"
SAMPLE_PII_MANIFEST = SAMPLES_DIR / "study-sample.pii-manifest.json"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
DATACARD_DIR = PROJECT_ROOT / "datacard"

# Development key for the bundled sample only: real drops must set PIPELINES_HASH_KEY.
_DEVELOPMENT_HASH_KEY = "development-key-for-the-bundled-sample-only"
MIN_HASH_KEY_BYTES = 16


def duckdb_path() -> Path:
    """The one DuckDB file: read by the Dagster resource and by dbt's profiles.yml alike."""
    return _path("DUCKDB_PATH", DATA_DIR / "warehouse.duckdb")


# Small next to a stage's own footprint (about 0.5 GB of libraries), so a stage's peak barely moves
# with the corpus; dbt's list() aggregates are bucketed to fit under it (docs/benchmarks.md).
DEFAULT_DUCKDB_MEMORY_LIMIT = "256MB"


def duckdb_memory_limit() -> str:
    """DuckDB's memory cap (e.g. "256MB", "4GB"): past it DuckDB spills to `<warehouse>.tmp/`.

    DuckDB's own default is 80% of the machine's memory: its cache would grow with the corpus and
    crowd out the scrubber's workers. With a cap, a stage's memory is bounded by its own footprint
    plus the cap however large the corpus (docs/benchmarks.md); a query that needs more than the
    cap fails, so raise it for larger corpora or for speed. dbt reads the same variable
    (profiles.yml).
    """
    return os.environ.get("PIPELINES_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT)


def duckdb_config() -> dict[str, str]:
    """Configuration of every DuckDB connection the pipeline opens, in-memory ones included."""
    return {"memory_limit": duckdb_memory_limit()}


def data_dir() -> Path:
    """The data folder (`PIPELINES_DATA_DIR`), read when called."""
    return _path("PIPELINES_DATA_DIR", DATA_DIR)


def dagster_dir() -> Path:
    """The Dagster instance of `python -m pipelines run`: its storage, artifacts, compute logs and
    the dagster.yaml that opens them, whatever the working directory."""
    return data_dir() / "dagster"


def drops_dir() -> Path:
    """Where raw drops land as folders; the sensor watches it."""
    return _path("PIPELINES_DROPS_DIR", SAMPLES_DIR / "drops")


def hash_key() -> bytes:
    """The HMAC key for pseudonymous keys; a fixed development key (with a warning) if unset."""
    value = os.environ.get("PIPELINES_HASH_KEY", "")
    if not value:
        warnings.warn(
            "PIPELINES_HASH_KEY is not set: using the development key, fit only for the bundled "
            "sample. Set a secret key of at least 16 bytes for real data.",
            stacklevel=2,
        )
        return _DEVELOPMENT_HASH_KEY.encode()
    key = value.encode()
    if len(key) < MIN_HASH_KEY_BYTES:
        raise ValueError(
            f"PIPELINES_HASH_KEY must be at least {MIN_HASH_KEY_BYTES} bytes, got {len(key)}"
        )
    return key


def development_hash_key() -> bytes:
    """The key `hash_key` falls back to when PIPELINES_HASH_KEY is unset."""
    return _DEVELOPMENT_HASH_KEY.encode()


# How finely the scrubbed, and so the published, timestamps keep the time. A conversation's start
# to the minute and its chat model find its row in the public, unscrubbed source corpus.
TIMESTAMP_PRECISIONS = ("day", "hour", "minute", "second")
DEFAULT_TIMESTAMP_PRECISION = "day"


def timestamp_precision() -> str:
    """The unit every scrubbed timestamp is truncated to (in UTC): day, hour, minute or second."""
    value = os.environ.get("PIPELINES_TIMESTAMP_PRECISION", DEFAULT_TIMESTAMP_PRECISION)
    return checked_timestamp_precision(value.strip().lower())


def checked_timestamp_precision(value: str) -> str:
    if value not in TIMESTAMP_PRECISIONS:
        raise ValueError(
            f"PIPELINES_TIMESTAMP_PRECISION must be one of {', '.join(TIMESTAMP_PRECISIONS)}, "
            f"got {value!r}"
        )
    return value


def scrub_cluster() -> str | None:
    """The Dask scheduler the scrub's detection runs on (`PIPELINES_SCRUB_CLUSTER`, e.g.
    tcp://scheduler:8786); unset, each scrub starts a local cluster and stops it at its end."""
    return os.environ.get("PIPELINES_SCRUB_CLUSTER", "").strip() or None


def _whole_number(name: str, default: int, minimum: int) -> int:
    """The environment variable `name` as a whole number of at least `minimum`; `default` when it
    is unset or blank."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ValueError(f"{name} must be a whole number from {minimum}, got {value!r}")
    return int(value)


# About 15 s of one core's detection: a local cluster of two workers starts in 3 to 8 s and then
# detects at about twice the speed, so below this it costs more time and CPU than it saves
# (docs/benchmarks.md, "Scrub" and "Detection engines").
DEFAULT_SCRUB_IN_PROCESS_CHARS = 500_000


def scrub_in_process_chars() -> int:
    """Characters of new text a scrub detects in its own process before it starts a local cluster
    (`PIPELINES_SCRUB_IN_PROCESS_CHARS`; 0: the cluster from the first text)."""
    return _whole_number("PIPELINES_SCRUB_IN_PROCESS_CHARS", DEFAULT_SCRUB_IN_PROCESS_CHARS, 0)


# Ingest: what a drop may carry before a record, or the drop, is refused.
DEFAULT_MAX_TEXT_CHARS = 250_000
DEFAULT_MAX_QUARANTINED_SHARE = 0.1


def max_text_chars() -> int:
    """The longest free text (`Table.text_columns`, turns included) a record may hold, in
    characters; a longer one is quarantined at ingest, so the scrubber's NLP model never receives
    it (a text of 1 MB took a scrubber worker to 4 GB). The default lets through the pasted
    documents real chat logs hold (the study's export has turns of about 150,000 characters)."""
    return _whole_number("PIPELINES_MAX_TEXT_CHARS", DEFAULT_MAX_TEXT_CHARS, 1)


def max_quarantined_share(stem: str) -> float:
    """The share of an export file's lines that may be quarantined before its drop fails, from
    e.g. "0.1" or "0.1,stage3_ratings=0.25" (a bound for every file, then bounds per file stem);
    1 lets every file through."""
    value = os.environ.get("PIPELINES_MAX_QUARANTINED_SHARE", "")
    bounds = {"": DEFAULT_MAX_QUARANTINED_SHARE}
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, _, share = part.rpartition("=")
        try:
            bounds[name.strip()] = float(share)
        except ValueError:
            raise ValueError(
                f"PIPELINES_MAX_QUARANTINED_SHARE: {part!r} is not a share (e.g. 0.1) or "
                "stem=share (e.g. stage3_ratings=0.25)"
            ) from None
    if not all(0 <= bound <= 1 for bound in bounds.values()):
        raise ValueError(f"PIPELINES_MAX_QUARANTINED_SHARE: shares are from 0 to 1, got {value!r}")
    return bounds.get(stem, bounds[""])


def release_with_failed_drops() -> bool:
    """Cut the release from the drops that did not fail when others did (the schedule's tick and
    `pipelines run`); by default a failed drop holds the release back."""
    value = os.environ.get("PIPELINES_RELEASE_WITH_FAILED_DROPS", "").strip().lower()
    if value not in {"", "0", "false", "no", "1", "true", "yes"}:
        raise ValueError(
            f"PIPELINES_RELEASE_WITH_FAILED_DROPS must be true or false, got {value!r}"
        )
    return value in {"1", "true", "yes"}


def full_rebuild() -> bool:
    """Rebuild everything downstream of the scrub: every dbt model in full (`--full-refresh`) and
    every file of the release, instead of the users and shards the new drops changed. The result
    is the same; `pipelines run --full-rebuild` sets it for one run."""
    value = os.environ.get("PIPELINES_FULL_REBUILD", "").strip().lower()
    if value not in {"", "0", "false", "no", "1", "true", "yes"}:
        raise ValueError(f"PIPELINES_FULL_REBUILD must be true or false, got {value!r}")
    return value in {"1", "true", "yes"}


DEFAULT_RELEASE_SHARD_USERS = 500


def release_shard_users() -> int:
    """Users per shard of the release's per-user files (pipelines/release/splits.py): an
    increment of new users rewrites the last shard, so smaller shards make it cheaper, and more
    files (at 50k conversations, 7,273 users: 15 shards, 3 splits, 5 configs)."""
    return _whole_number("PIPELINES_RELEASE_SHARD_USERS", DEFAULT_RELEASE_SHARD_USERS, 1)


# Re-identification: the smallest group of published users sharing the quasi-identifiers the
# release keeps must hold at least this many users (pipelines/release/k_anonymity.py).
DEFAULT_RELEASE_MIN_K = 5
BELOW_K_POLICIES = ("withhold", "fail")


def release_min_k() -> int:
    """The k of the release's k-anonymity check (`PIPELINES_RELEASE_MIN_K`, default 5; 1 turns
    it off)."""
    return _whole_number("PIPELINES_RELEASE_MIN_K", DEFAULT_RELEASE_MIN_K, 1)


def release_below_k() -> str:
    """What the release does with users in groups smaller than k (`PIPELINES_RELEASE_BELOW_K`):
    "withhold" leaves them out of every per-user config (default), "fail" stops the release."""
    value = os.environ.get("PIPELINES_RELEASE_BELOW_K", "").strip().lower() or BELOW_K_POLICIES[0]
    if value not in BELOW_K_POLICIES:
        raise ValueError(f"PIPELINES_RELEASE_BELOW_K must be withhold or fail, got {value!r}")
    return value


# Release: splits, the local dataset repo and the Hub target.
DEFAULT_SPLIT_RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}
DEFAULT_HUB_ENDPOINT = "https://huggingface.co"


def release_dir() -> Path:
    """The local dataset repository (a git repo, one commit and tag per release)."""
    return _path("PIPELINES_RELEASE_DIR", DATA_DIR / "dataset_repo")


def split_seed() -> str:
    """Key of the hash that orders new users before they are dealt to splits."""
    return os.environ.get("PIPELINES_SPLIT_SEED", "personalization-splits-v1")


def split_ratios() -> dict[str, float]:
    """Target share of users per split, from e.g. "train=0.8,validation=0.1,test=0.1"."""
    value = os.environ.get("PIPELINES_SPLIT_RATIOS", "")
    if not value:
        return dict(DEFAULT_SPLIT_RATIOS)
    ratios = {}
    for part in value.split(","):
        name, _, share = part.partition("=")
        try:
            ratios[name.strip()] = float(share)
        except ValueError:
            raise ValueError(
                f"PIPELINES_SPLIT_RATIOS: {part!r} is not split=share (e.g. train=0.8)"
            ) from None
    if abs(sum(ratios.values()) - 1) > 1e-9 or min(ratios.values()) < 0:
        raise ValueError(f"PIPELINES_SPLIT_RATIOS must be non-negative and sum to 1, got {ratios}")
    return ratios


def hub_repo_id() -> str | None:
    """Publish to this Hub dataset repo instead of the local dataset repo, when set."""
    return os.environ.get("PIPELINES_HUB_REPO_ID") or None


def hub_private() -> bool:
    return os.environ.get("PIPELINES_HUB_PRIVATE", "true").lower() in {"1", "true", "yes"}


def hub_endpoint() -> str:
    """The Hub's address; HF_ENDPOINT points it elsewhere (a mirror, or the tests' emulated Hub)."""
    return os.environ.get("HF_ENDPOINT", DEFAULT_HUB_ENDPOINT).rstrip("/")


def hub_token() -> str | None:
    """The Hub token, for the command line; Dagster reads it through dg.EnvVar("HF_TOKEN")."""
    return os.environ.get("HF_TOKEN") or None


# Quality: where Great Expectations writes its Data Docs site and the (value-free) results it lists.
def data_docs_dir() -> Path:
    """Great Expectations' Data Docs site, rebuilt by every validation: open its index.html."""
    return _path("PIPELINES_DATA_DIR", DATA_DIR) / "data_docs"
