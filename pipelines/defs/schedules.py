"""The daily rebuild: models, checks and a release candidate, only when a drop changed and none
failed."""

import dagster as dg

from pipelines import settings
from pipelines.contract.tables import TABLES
from pipelines.defs.jobs import build_job, drop_job
from pipelines.defs.partitions import drop_partitions

INPUT_FINGERPRINT_TAG = "pipelines/input_fingerprint"
# On a build released despite failed drops: which drops failed.
FAILED_DROPS_TAG = "pipelines/failed_drops"
# The tag Dagster puts on a partitioned run.
PARTITION_TAG = "dagster/partition"
_INPUT_KEYS = [dg.AssetKey(["scrubbed", name]) for name in TABLES]
_UNFINISHED = {dg.DagsterRunStatus.FAILURE: "failed", dg.DagsterRunStatus.CANCELED: "was canceled"}


def input_fingerprint(instance: dg.DagsterInstance) -> str:
    """The newest materialization among the per-drop tables the build reads."""
    latest = [
        record.storage_id
        for key in _INPUT_KEYS
        for record in instance.fetch_materializations(key, limit=1).records
    ]
    return str(max(latest, default=0))


def failed_drops(instance: dg.DagsterInstance) -> dict[str, str]:
    """Drop -> what became of its latest `process_drop` run, for each drop whose latest run failed
    or was canceled: the warehouse holds that drop's earlier rows, or none."""
    failed = {}
    for drop in instance.get_dynamic_partitions(drop_partitions.name):
        runs = instance.get_runs(
            filters=dg.RunsFilter(job_name=drop_job.name, tags={PARTITION_TAG: drop}), limit=1
        )
        if runs and runs[0].status in _UNFINISHED:
            failed[drop] = f"run {runs[0].run_id} {_UNFINISHED[runs[0].status]}"
    return failed


@dg.schedule(
    job=build_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Rebuilds models and cuts a release candidate when any drop changed since, "
    "unless the latest run of a drop failed (PIPELINES_RELEASE_WITH_FAILED_DROPS overrides).",
)
def daily_release_schedule(context: dg.ScheduleEvaluationContext):
    fingerprint = input_fingerprint(context.instance)
    if fingerprint == "0":
        return dg.SkipReason("no drop has been processed yet")
    failed = failed_drops(context.instance)
    if failed and not settings.release_with_failed_drops():
        listed = "; ".join(f"drop {drop}: {outcome}" for drop, outcome in sorted(failed.items()))
        return dg.SkipReason(
            f"the latest run of {len(failed)} drop partition(s) of {drop_job.name} failed "
            f"({listed}). Fix and re-run them, or set PIPELINES_RELEASE_WITH_FAILED_DROPS=true "
            "to release from the other drops."
        )
    previous = context.instance.get_runs(
        filters=dg.RunsFilter(
            job_name=build_job.name,
            tags={INPUT_FINGERPRINT_TAG: fingerprint},
            statuses=[dg.DagsterRunStatus.SUCCESS],
        ),
        limit=1,
    )
    if previous:
        return dg.SkipReason(f"nothing changed since run {previous[0].run_id}")
    tags = {INPUT_FINGERPRINT_TAG: fingerprint}
    if failed:
        tags[FAILED_DROPS_TAG] = ",".join(sorted(failed))
    return dg.RunRequest(run_key=None, tags=tags)
