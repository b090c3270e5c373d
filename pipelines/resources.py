"""Resources shared by every stage, configured from the environment (see `settings`)."""

from dagster_duckdb import DuckDBResource

from pipelines import settings


def warehouse() -> DuckDBResource:
    """The DuckDB warehouse; the same file dbt's profiles.yml names."""
    settings.duckdb_path().parent.mkdir(parents=True, exist_ok=True)
    return DuckDBResource(
        database=str(settings.duckdb_path()),
        connection_config=settings.duckdb_config(),
    )
