"""Resources shared by every stage, configured from the environment (see `settings`)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import settings


def warehouse() -> DuckDBResource:
    """The DuckDB warehouse; the same file dbt's profiles.yml names."""
    settings.duckdb_path().parent.mkdir(parents=True, exist_ok=True)
    return DuckDBResource(
        database=str(settings.duckdb_path()),
        connection_config=settings.duckdb_config(),
    )


class ScrubCluster(dg.ConfigurableResource):
    """Where the scrub's detection runs: the Dask scheduler at `address`, or, when it is empty, a
    local cluster that each scrub starts and stops (docs/operations.md)."""

    address: str = ""

    @classmethod
    def from_environment(cls) -> "ScrubCluster":
        """The cluster `PIPELINES_SCRUB_CLUSTER` names (unset: a local one)."""
        return cls(address=settings.scrub_cluster() or "")
