"""A scrub that the detector fails: the record it fails on, named by table, field and scrubbed key,
never by its text."""

from __future__ import annotations

from pipelines.contract.tables import Table
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.detector import Detector
from pipelines.privacy.drop_rows import Batch
from pipelines.privacy.identifier_hashing import IdentifierHasher


class ScrubRecordError(RuntimeError):
    """The detector failed on a record of the drop: named by table, field and scrubbed key (and
    the text's length), never by its text; nothing of the drop was committed."""


def failed_record(
    config: ScrubberConfig,
    hashing: IdentifierHasher,
    table: Table,
    batch: Batch,
    missing: set[int],
    error: Exception,
) -> ScrubRecordError:
    """The record whose text makes the detector fail: each text of the batch is detected
    alone, in this process, until one fails again."""
    detector = Detector.shared(config)
    for i, column, text, key in batch.texts:
        if key not in missing:
            continue
        try:
            detector.detect([text], [batch.routes[i]])
        except Exception as failure:  # the detector's own error, whatever its kind
            raw_key = {name: batch.arrow.column(name)[i].as_py() for name in table.key}
            scrubbed = hashing.scrubbed_key(table.name, raw_key)
            record = ", ".join(f"{name}={value}" for name, value in scrubbed.items())
            return ScrubRecordError(
                f"{table.name} [{record}] {column}: the detector failed on this text "
                f"({len(text):,} characters, {type(failure).__name__}); nothing was written"
            )
    return ScrubRecordError(
        f"{table.name}: the detector failed on a batch ({type(error).__name__}) and on none "
        "of its texts alone; nothing was written"
    )
