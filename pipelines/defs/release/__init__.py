"""Release stage: the dataset_release asset and the target it publishes to."""

import dagster as dg

from pipelines.defs.release.assets import dataset_release
from pipelines.defs.release.resources import release_target

defs = dg.Definitions(
    assets=[dataset_release],
    resources={"release_target": release_target()},
)
