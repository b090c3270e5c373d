"""The personalization-dataset pipeline: raw exports in, a private, validated, versioned dataset."""

import gc

from pipelines import settings  # noqa: F401  (first: switches telemetry and downloads off)

# Every process of the pipeline (the CLI, Dagster's code server and run workers, the scrub's
# detector workers) loads millions of long-lived objects (Dagster, dbt, Great Expectations, spaCy)
# and makes few reference cycles. At Python's default thresholds the collector runs about 4,000
# times in a run of the sample, a tenth of its CPU, its older generations walking most of that
# heap; with a young generation of 20,000 objects instead of 700 it runs about a hundred times.
# The older generations keep their default cadence relative to it, so cyclic garbage is still
# freed.
gc.set_threshold(20_000, 10, 10)
