"""A scrubbed-schema warehouse for the dbt project, filled through the raw-data contract.

Until the ingest and privacy assets run in these tests, a drop folder (or hand-made records) is
validated with the contract's models and written to `scrubbed.<table>` with the contract's DDL,
exactly the shape the privacy stage writes. Ids and texts stay as the records give them, so tests
can name them; the request header is reduced to its client kind by the scrubber's own function, as
the models never see more of it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from pipelines.contract.tables import RAW_FILES, TABLES, registered
from pipelines.privacy.pseudonymizer import scrubbed_header
from tests.models import model_fixtures

_JSON_COLUMNS = {
    (name, column)
    for name, table in TABLES.items()
    for column, kind in table.columns.items()
    if kind == "JSON"
}


def create_scrubbed_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists scrubbed")
    for table in TABLES.values():
        conn.execute(table.ddl("scrubbed"))


def load_records(
    conn: duckdb.DuckDBPyConnection,
    records: Mapping[str, Iterable[dict[str, Any] | str]],
    drop_id: str = "fixture",
) -> None:
    """Validate records (dicts or JSON lines) per export stem and write them to `scrubbed` as the
    privacy stage does: the drop's rows replace its earlier ones and any row with a key it delivers
    again."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for stem, items in records.items():
        raw_file = RAW_FILES[stem]
        for line, item in enumerate(items, start=1):
            text = item if isinstance(item, str) else json.dumps(item)
            record = raw_file.model.model_validate_json(text)
            for table, row in raw_file.to_rows(record):
                for column in row:
                    if (table, column) in _JSON_COLUMNS and row[column] is not None:
                        row[column] = json.dumps(row[column], default=str)
                if row.get("header") is not None:
                    row["header"] = scrubbed_header(row["header"])
                rows[table].append(
                    {**row, "_drop_id": drop_id, "_file": f"{stem}.jsonl", "_line": line}
                )
    staging = "fixture_staging"
    conn.execute(f"create schema {staging}")
    for table, table_rows in rows.items():
        columns = TABLES[table].all_columns
        batch = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in table_rows])
        conn.execute(TABLES[table].ddl(staging))
        with registered(conn, "batch", batch):
            conn.execute(
                f"insert into {staging}.{table} ({', '.join(columns)}) "
                f"select {', '.join(columns)} from batch"
            )
        TABLES[table].replace_drop(conn, "scrubbed", staging, drop_id)
    conn.execute(f"drop schema {staging} cascade")


def build_scrubbed_warehouse(path: Path, records: Mapping[str, Iterable[Any]]) -> Path:
    with duckdb.connect(str(path)) as conn:
        create_scrubbed_schema(conn)
        load_records(conn, records)
    return path


def drop_records(folder: Path) -> dict[str, list[str]]:
    """The JSON lines of each export file of a drop folder."""
    return {
        stem: (folder / f"{stem}.jsonl").read_text().splitlines()
        for stem in RAW_FILES
        if (folder / f"{stem}.jsonl").exists()
    }


# The models dbt builds in buckets (the `bucketed_table` materialization).
BUCKETED = (
    "conversations",
    "int_stage1_human_votes",
    "int_stage2_human_votes",
    "int_stage2_llm_labels",
    "int_stage3_item_ratings",
    "stage2_relevance",
)


def model_rows(path: Path, table: str) -> list[tuple]:
    """Every row of a model's table in the warehouse at `path`, in one fixed order."""
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(f"select * from main.{table} order by all").fetchall()


def materialize_models(
    path: Path, data_dir: Path, models: Iterable[str] | None = None
) -> dg.ExecuteInProcessResult:
    """Run the real dbt project through its Dagster definitions on the warehouse at `path`: every
    model, or the named ones alone (their inputs already built there)."""
    from pipelines.defs.models import defs
    from pipelines.defs.models.assets import dbt_models

    selection = None if models is None else dg.AssetSelection.assets(*models)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DUCKDB_PATH", str(path))
        env.setenv("PIPELINES_DATA_DIR", str(data_dir))
        return dg.materialize(
            [dbt_models], resources=defs.resources, selection=selection, raise_on_error=False
        )


@pytest.fixture(scope="session")
def edge_case_build(tmp_path_factory: pytest.TempPathFactory):
    """The hand-made edge-case drop, scrubbed-shaped and modeled once for the session: a first
    build (every user, fingerprints stored), with dbt's target folders beside its warehouse."""
    folder = tmp_path_factory.mktemp("edge_cases")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DBT_TARGET_PATH", str(folder / "dbt-target"))
        env.delenv("PIPELINES_FULL_REBUILD", raising=False)
        path = build_scrubbed_warehouse(folder / "warehouse.duckdb", model_fixtures.records())
        return path, materialize_models(path, folder / "data")
