"""Drops are partitions: each raw drop folder is ingested and scrubbed on its own."""

import dagster as dg

drop_partitions = dg.DynamicPartitionsDefinition(name="drop")
