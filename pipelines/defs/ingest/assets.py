"""Ingest: one run per drop lands its export files in the DuckDB schema `raw`."""

from contextlib import closing
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import settings
from pipelines.contract.tables import TABLES
from pipelines.defs.partitions import drop_partitions
from pipelines.ingest import DropError, land_drop
from pipelines.privacy.warehouse_key import HashKeyMismatch, check_warehouse_key
from pipelines.text_format import markdown_table

RAW_TABLE_KEYS = {name: dg.AssetKey(["raw", name]) for name in TABLES}
QUARANTINE_KEY = dg.AssetKey(["raw", "quarantine"])


class IngestConfig(dg.Config):
    drops_dir: str = ""
    """Folder that holds the drop folders; empty means `settings.drops_dir()`."""


def hash_key_or_failure() -> bytes:
    """`settings.hash_key()`, a key too short failing the step with the reason alone."""
    try:
        return settings.hash_key()
    except ValueError as error:
        raise dg.Failure(description=str(error)) from None


@dg.multi_asset(
    specs=[
        *(
            dg.AssetSpec(
                key,
                description=f"Raw `{name}` records of every drop, validated against the contract "
                "(personal data included: never published).",
                group_name="ingest",
                kinds={"duckdb"},
                owners=["team:data-maintainers"],
            )
            for name, key in RAW_TABLE_KEYS.items()
        ),
        dg.AssetSpec(
            QUARANTINE_KEY,
            description="Records that failed the contract, with file, line, field and reason.",
            group_name="ingest",
            kinds={"duckdb"},
            owners=["team:data-maintainers"],
        ),
    ],
    partitions_def=drop_partitions,
    pool="duckdb",
)
def raw_tables(context: dg.AssetExecutionContext, config: IngestConfig, warehouse: DuckDBResource):
    """Validate one drop folder and replace that drop's rows in the raw tables, atomically."""
    drops_dir = Path(config.drops_dir) if config.drops_dir else settings.drops_dir()
    folder = drops_dir / context.partition_key
    # A key the scrub would refuse is refused before the raw rows are replaced.
    hash_key = hash_key_or_failure()
    try:
        # Closed when the drop fails too (get_connection closes only on success): an open
        # read-write connection keeps the later runs of the same process from opening the file.
        with warehouse.get_connection() as conn, closing(conn):
            check_warehouse_key(conn, hash_key)
            report = land_drop(conn, folder, progress=context.log.info)
            totals = {
                name: conn.execute(f"select count(*) from raw.{name}").fetchone()[0]
                for name in TABLES
            }
    except (DropError, HashKeyMismatch) as error:
        raise dg.Failure(description=str(error)) from None

    for name, key in RAW_TABLE_KEYS.items():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "rows_in_drop": dg.MetadataValue.int(report.rows_per_table[name]),
                "rows_left_to_later_drops": dg.MetadataValue.int(
                    report.rows_left_to_later_drops[name]
                ),
                "dagster/row_count": dg.MetadataValue.int(totals[name]),
            },
        )
    files = markdown_table(
        ["file", "read", "landed", "quarantined"],
        ([f.file, f.rows_read, f.rows_landed, f.rows_quarantined] for f in report.files.values()),
    )
    reasons = markdown_table(
        ["table.field: reason", "records"],
        report.quarantine_reasons.most_common() or [("none", 0)],
    )
    yield dg.MaterializeResult(
        asset_key=QUARANTINE_KEY,
        metadata={
            "rows_quarantined": dg.MetadataValue.int(report.rows_quarantined),
            "rows_landed": dg.MetadataValue.int(report.rows_landed),
            "delivered_at": dg.MetadataValue.text(report.delivered_at.isoformat()),
            "files": dg.MetadataValue.md(files),
            "reasons": dg.MetadataValue.md(reasons),
            "ignored_files": dg.MetadataValue.json(report.ignored_files),
        },
    )
