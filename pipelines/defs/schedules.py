"""The daily rebuild: models, checks and a release candidate, only when a drop changed."""

import dagster as dg

from pipelines.contract.tables import TABLES
from pipelines.defs.jobs import build_job

INPUT_FINGERPRINT_TAG = "pipelines/input_fingerprint"
_INPUT_KEYS = [dg.AssetKey(["scrubbed", name]) for name in TABLES]


def input_fingerprint(instance: dg.DagsterInstance) -> str:
    """The newest materialization among the per-drop tables the build reads."""
    latest = [
        record.storage_id
        for key in _INPUT_KEYS
        for record in instance.fetch_materializations(key, limit=1).records
    ]
    return str(max(latest, default=0))


@dg.schedule(
    job=build_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Rebuilds models and cuts a release candidate when any drop changed since.",
)
def daily_release_schedule(context: dg.ScheduleEvaluationContext):
    fingerprint = input_fingerprint(context.instance)
    if fingerprint == "0":
        return dg.SkipReason("no drop has been processed yet")
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
    return dg.RunRequest(run_key=None, tags={INPUT_FINGERPRINT_TAG: fingerprint})
