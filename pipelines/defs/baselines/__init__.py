"""Baselines stage: the stage-2 retrieval baselines, after the models and before `metrics`."""

import dagster as dg

from pipelines.defs.baselines.assets import stage2_baselines

defs = dg.Definitions(assets=[stage2_baselines])
