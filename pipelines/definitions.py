"""The one Dagster `Definitions` of the project, assembled from one module per stage."""

import dagster as dg

from pipelines.defs import baselines, ingest, models, privacy, quality, release
from pipelines.defs.jobs import build_job, drop_job
from pipelines.defs.schedules import daily_release_schedule
from pipelines.resources import warehouse

defs = dg.Definitions.merge(
    ingest.defs,
    privacy.defs,
    models.defs,
    baselines.defs,
    quality.defs,
    release.defs,
    dg.Definitions(
        jobs=[drop_job, build_job],
        schedules=[daily_release_schedule],
        resources={"warehouse": warehouse()},
        # Every step of a run in the run's own process, as `pipelines run` executes them: the
        # steps that write the warehouse take turns anyway (the pool "duckdb"), and a process per
        # step would import these definitions again (seconds each) for every asset and check.
        executor=dg.in_process_executor,
    ),
)
