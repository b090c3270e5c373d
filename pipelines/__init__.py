"""The personalization-dataset pipeline: raw exports in, a private, validated, versioned dataset."""

import gc

from pipelines import settings  # noqa: F401  (first: switches telemetry and downloads off)

# Every process of the pipeline (the CLI, Dagster's code server and run workers, the scrub's
# detector workers) loads millions of long-lived objects (Dagster, dbt, Great Expectations, spaCy)
# and makes few reference cycles. At Python's default thresholds the collector walks that heap
# thousands of times a run, a tenth of a sample run's CPU; a young generation of 20,000 objects
# instead of 700 makes it about a hundred walks. The older generations keep their default cadence
# relative to it, so cyclic garbage is still freed.
gc.set_threshold(20_000, 10, 10)
