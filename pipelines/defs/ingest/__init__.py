"""Ingest stage: raw drop folders into the DuckDB schema `raw`."""

import dagster as dg

from pipelines.defs.ingest.assets import raw_tables
from pipelines.defs.ingest.sensors import new_drop_sensor

defs = dg.Definitions(assets=[raw_tables], sensors=[new_drop_sensor])
