"""Notice new (or changed) drop folders and process each as its own partition."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines import settings
from pipelines.defs.jobs import drop_job
from pipelines.defs.partitions import drop_partitions
from pipelines.ingest.drop import find_export_files


def drop_fingerprint(folder: Path) -> str | None:
    """Names, sizes and modification times of a drop's export files; None if it has none."""
    exports, _ = find_export_files(folder)
    if not exports:
        return None
    digest = hashlib.sha256()
    for path in exports.values():
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


@dg.sensor(
    job=drop_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Launches a run for each new or changed folder in PIPELINES_DROPS_DIR.",
)
def new_drop_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """The cursor remembers each drop's fingerprint, so a tick requests only what changed."""
    drops_dir = settings.drops_dir()
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    known = set(context.instance.get_dynamic_partitions(drop_partitions.name))
    new_partitions, run_requests = [], []
    for folder in sorted(p for p in drops_dir.iterdir() if p.is_dir()):
        fingerprint = drop_fingerprint(folder)
        if fingerprint is None or seen.get(folder.name) == fingerprint:
            continue
        seen[folder.name] = fingerprint
        if folder.name not in known:
            new_partitions.append(folder.name)
        run_requests.append(
            dg.RunRequest(
                partition_key=folder.name,
                run_key=f"{folder.name}:{fingerprint}",
                run_config={"ops": {"raw_tables": {"config": {"drops_dir": str(drops_dir)}}}},
            )
        )
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=json.dumps(seen, sort_keys=True),
        dynamic_partitions_requests=[drop_partitions.build_add_request(new_partitions)]
        if new_partitions
        else [],
    )
