"""Keep the Data Docs index current for runs launched from the UI, a schedule or the drop sensor.

Each validation renders only its own page; the index (which reads every result it lists) is rebuilt
once afterwards: here, or by `pipelines run` at the end of its runs.
"""

import dagster as dg

from pipelines.quality import data_docs_index_is_stale, refresh_data_docs_index


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Rebuilds the Great Expectations Data Docs index when a validation is newer.",
)
def data_docs_index_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    """Launches nothing: it only refreshes the index page of the Data Docs site."""
    if not data_docs_index_is_stale():
        return dg.SkipReason("the Data Docs index is up to date")
    index = refresh_data_docs_index()
    context.log.info(f"Data Docs index rebuilt: {index}")
    return dg.SkipReason("the Data Docs index was rebuilt; no run to launch")
