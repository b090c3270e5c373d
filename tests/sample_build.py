"""The bundled sample drop built without the pipeline's CLI: raw, scrubbed-shaped, modeled, staged
as a release; read by the model and quality tests.

Raw tables are landed by the real ingest; the `scrubbed` schema is a stand-in for the privacy
stage (its own tests cover Presidio, which on the whole sample would dominate this run): free text
replaced by neutral text, identifiers by SHA-256 hashes (id by id in a list), the request header
reduced to its client kind by the scrubber's own function, as the real stage leaves them (a test
that names a record's id hashes it alike: `hashed`). The marts come from the real dbt project
through its Dagster definitions; the published splits from the release's real staging step. Tests
that break a table work on a copy of the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import settings
from pipelines.contract.tables import TABLES, Table
from pipelines.ingest import land_drop
from pipelines.privacy.pseudonymizer import scrubbed_header
from pipelines.release.build import ReleaseOptions, plan_release

SAMPLE_DROP_ID = settings.SAMPLE_DROP.name


def hashed(identifier: str) -> str:
    """An identifier as the stand-in leaves it (DuckDB's sha256 of its text)."""
    return hashlib.sha256(identifier.encode()).hexdigest()


def _stand_in(table: Table, column: str) -> str:
    """What the privacy stage leaves of a column: hashes for identifiers, neutral text for text."""
    kind = table.columns.get(column, "")
    if column == "header":
        return f"scrubbed_header({column})"
    if column in table.identifier_columns:
        if kind.startswith("VARCHAR[]"):
            return f"list_transform({column}, id -> sha256(id))"
        return "null" if kind.startswith("JSON") else f"sha256({column})"
    if column in table.text_columns:
        if kind.startswith("VARCHAR[]"):
            return f"list_transform({column}, text -> 'scrubbed text')"
        return f"case when {column} is null then null else 'scrubbed text ' || length({column}) end"
    return f'"{column}"'


@dataclass(frozen=True)
class SampleBuild:
    warehouse: Path
    release: Path
    """A staged release folder (data/<config>/<split>-*.parquet, README.md)."""


def build_sample(folder: Path) -> SampleBuild:
    from pipelines.defs.models import defs as model_defs
    from pipelines.defs.models.assets import dbt_models
    from pipelines.defs.models.withheld import withheld_users

    warehouse = folder / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        land_drop(conn, settings.SAMPLE_DROP)
        conn.create_function("scrubbed_header", scrubbed_header, ["VARCHAR"], "VARCHAR")
        conn.execute("create schema scrubbed")
        for table in TABLES.values():
            conn.execute(table.ddl("scrubbed"))
            columns = ", ".join(_stand_in(table, c) for c in table.all_columns)
            conn.execute(
                f"insert into scrubbed.{table.name} select {columns} from raw.{table.name}"
            )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DUCKDB_PATH", str(warehouse))
        env.setenv("PIPELINES_DATA_DIR", str(folder / "data"))
        # As the pipeline builds them: the marts, the users the release withholds (default k),
        # then the metric models without them.
        result = dg.materialize([dbt_models, withheld_users], resources=model_defs.resources)
    assert result.success
    release = folder / "release"
    release.mkdir()
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        plan_release(
            conn,
            release,
            None,
            ReleaseOptions(
                repo_id="study/personalization", repo_url="https://example.org", date="2026-01-01"
            ),
        )
    return SampleBuild(warehouse, release)
