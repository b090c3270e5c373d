"""Resources shared by every stage, configured from the environment (see `settings`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import settings

if TYPE_CHECKING:
    from pipelines.privacy.config import ScrubberConfig
    from pipelines.privacy.detection_cluster import DetectionCluster


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

    def detection(self, config: ScrubberConfig, workers: int = 0) -> DetectionCluster:
        """The detection of one scrub, a context manager; `workers` sizes a local cluster."""
        from pipelines.privacy.detection_cluster import DetectionCluster

        return DetectionCluster(config, workers or None, self.address or None)


def scrub_cluster() -> ScrubCluster:
    """The scrub's cluster as `PIPELINES_SCRUB_CLUSTER` names it (unset: a local one)."""
    return ScrubCluster(address=settings.scrub_cluster() or "")
