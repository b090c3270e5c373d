"""Landing raw drops in DuckDB, validated against the contract."""

from pipelines.ingest.drop import DropError, DropReport, land_drop

__all__ = ["DropError", "DropReport", "land_drop"]
