"""Privacy stage: raw drops scrubbed into the DuckDB schema `scrubbed`."""

import dagster as dg

from pipelines.defs.privacy.assets import scrubbed_tables

defs = dg.Definitions(assets=[scrubbed_tables])
