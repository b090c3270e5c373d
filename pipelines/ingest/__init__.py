"""Landing raw drops in DuckDB, validated against the contract."""

from pipelines.ingest.drop import DropError, DropReport, check_drop_folder, land_drop

__all__ = ["DropError", "DropReport", "check_drop_folder", "land_drop"]
