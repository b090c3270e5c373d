"""Quality stage: the Great Expectations suites of `expectations/` as Dagster asset checks, and
the sensor that keeps their Data Docs index current."""

import dagster as dg

from pipelines.defs.quality.checks import suite_checks
from pipelines.defs.quality.sensors import data_docs_index_sensor

defs = dg.Definitions(asset_checks=suite_checks(), sensors=[data_docs_index_sensor])
