"""Jobs: one per drop (ingest and scrub a partition), one that rebuilds everything downstream."""

import dagster as dg

per_drop_selection = dg.AssetSelection.groups("ingest", "privacy")

drop_job = dg.define_asset_job(
    "process_drop",
    selection=per_drop_selection,
    description="Ingest and scrub one raw drop (a partition).",
)

build_job = dg.define_asset_job(
    "build_release",
    selection=dg.AssetSelection.all() - per_drop_selection,
    description="Model every scrubbed drop, validate, and cut a release.",
)
