"""The seeded generator of the bundled sample drop and of larger drops for benchmarks.

`python -m pipelines.sample --out samples/drops/study-sample --pii-manifest
samples/study-sample.pii-manifest.json --bad-drops samples/bad_drops` rewrites the committed sample
(seed `BUNDLED_SEED`). `--conversations 50000 --gzip` makes a benchmark-sized drop the same way.

The ground-truth manifest lists personal data planted in free-text columns
(`Table.text_columns`); identifier columns (user ids, hashed IPs, headers, annotator ids and names)
are personal by definition and are not listed value by value.
"""

from pipelines.sample.generator import GenerationReport, SampleConfig, generate

__all__ = ["GenerationReport", "SampleConfig", "generate"]
