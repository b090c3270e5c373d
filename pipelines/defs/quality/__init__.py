"""Quality stage: the Great Expectations suites of `expectations/` as Dagster asset checks."""

import dagster as dg

from pipelines.defs.quality.checks import suite_checks

defs = dg.Definitions(asset_checks=suite_checks())
