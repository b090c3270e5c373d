"""The README's run command on the bundled sample: a private, published release."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipelines import settings
from tests.text_search import occurring


def manifest_values() -> list[dict]:
    return json.loads(settings.SAMPLE_PII_MANIFEST.read_text())["entities"]


def published_texts(release_dir: Path) -> str:
    """Every string cell of every published Parquet file, the card and Croissant, as one text."""
    parts = []
    for path in sorted(release_dir.rglob("*.parquet")):
        table = pq.read_table(path)
        parts.append(json.dumps(table.to_pylist(), ensure_ascii=False, default=str))
    for path in [*release_dir.glob("*.md"), *release_dir.glob("*.json")]:
        parts.append(path.read_text())
    return "\n".join(parts)


def warehouse_texts(warehouse: Path, schemas: tuple[str, ...]) -> str:
    parts = []
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join('?' for _ in schemas)})",
            list(schemas),
        ).fetchall()
        for schema, table in tables:
            rows = conn.execute(f'select * from "{schema}"."{table}"').fetchall()
            parts.append(json.dumps(rows, ensure_ascii=False, default=str))
    return "\n".join(parts)


def test_the_run_ends_with_a_published_local_release(pipeline_run):
    assert "load_dataset(" in pipeline_run.output
    tags = subprocess.run(
        ["git", "tag"], cwd=pipeline_run.release_dir, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tags and all(tag.startswith("v") for tag in tags)
    assert tags[-1] in pipeline_run.output
    assert str(pipeline_run.release_dir) in pipeline_run.output


def test_no_planted_identifier_reaches_modeled_or_published_data(pipeline_run):
    texts = {
        "warehouse": warehouse_texts(pipeline_run.warehouse, ("scrubbed", "main")),
        "release": published_texts(pipeline_run.release_dir),
    }
    # Many entities share a value: each distinct value is looked for once in each text.
    values = {entity["value"] for entity in manifest_values()}
    found = {where: occurring(values, text) for where, text in texts.items()}
    leaks = [
        (entity["entity_type"], entity["table"], where)
        for entity in manifest_values()
        for where in texts
        if entity["value"] in found[where]
    ]
    assert not leaks, f"planted identifiers survived: {leaks[:10]}"


def test_no_planted_identifier_reaches_the_run_output_or_its_log(pipeline_run):
    log = "\n".join(path.read_text() for path in pipeline_run.logs)
    for text in (pipeline_run.output, log):
        leaked = [e["entity_type"] for e in manifest_values() if e["value"] in text]
        assert not leaked


def test_the_run_prints_a_short_summary_and_logs_dbt_and_dagster(pipeline_run):
    (log,) = pipeline_run.logs
    printed = pipeline_run.output.splitlines()
    assert len(printed) <= 60, pipeline_run.output
    assert str(log) in printed[0]
    assert "Running with dbt=" not in pipeline_run.output
    assert "dagster - INFO" not in pipeline_run.output
    logged = log.read_text()
    assert "Running with dbt=" in logged and "Completed successfully" in logged
    assert "dagster - INFO - process_drop" in logged and "dagster - INFO - build_release" in logged
    assert "stage1 share_accepted" in logged  # the full metrics table
    assert "Ingested files (read / landed / quarantined):" in logged


def test_no_preview_or_deprecation_warning_comes_from_the_project(pipeline_run):
    (log,) = pipeline_run.logs
    logged = log.read_text()
    assert "PreviewWarning" not in logged
    assert "DeprecationWarning" not in logged


def test_the_run_prints_the_study_metrics(pipeline_run):
    for figure in ("kappa", "relevant", "Spearman"):
        assert figure.lower() in pipeline_run.output.lower()
