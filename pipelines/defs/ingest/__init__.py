"""Ingest stage: raw drop folders into the DuckDB schema `raw`."""

import dagster as dg

from pipelines.defs.ingest.assets import raw_tables

defs = dg.Definitions(assets=[raw_tables])
