"""The dbt project as Dagster sees it: asset keys, group, pool, checks, docs."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest
from dbt.contracts.graph.manifest import Manifest

from pipelines.contract.tables import TABLES
from pipelines.defs.models import defs
from pipelines.defs.models.assets import dbt_models
from pipelines.defs.models.metrics import format_metrics
from pipelines.defs.models.project import (
    PARTIAL_PARSE_FILE,
    dbt_project,
    invoke_dbt,
    keep_partial_parse,
    parsed_manifest,
)
from pipelines.defs.models.withheld import withheld_users

MARTS = [
    "users",
    "conversations",
    "prompts",
    "stage1_attributes",
    "stage2_relevance",
    "stage3_preferences",
    "metrics",
]


def test_models_depend_on_the_privacy_assets_and_share_the_duckdb_pool():
    specs = dbt_models.specs_by_key
    assert {dg.AssetKey(name) for name in MARTS} <= specs.keys()
    upstream = {dep.asset_key for spec in specs.values() for dep in spec.deps} - specs.keys()
    # The stage-2 baselines run between the marts they read and the metrics that union them; the
    # users the release withholds are recorded between the marts and the metrics that leave
    # them out.
    assert upstream == {dg.AssetKey(["scrubbed", name]) for name in TABLES} | {
        dg.AssetKey("stage2_baselines"),
        dg.AssetKey("withheld_users"),
    }
    assert {
        dep.asset_key for dep in withheld_users.specs_by_key[dg.AssetKey("withheld_users")].deps
    } == {
        dg.AssetKey("users"),
        dg.AssetKey("conversations"),
    }
    assert withheld_users.op.pool == "duckdb"
    assert {spec.group_name for spec in specs.values()} == {"models"}
    assert dbt_models.op.pool == "duckdb"
    dg.Definitions.validate_loadable(defs)


def test_a_builds_parse_state_is_kept_for_the_next_build(tmp_path, monkeypatch):
    """Each build's fresh target folder is seeded from the base one; dbt writes the updated state
    to the fresh folder only, so it is copied back for the next build to reuse."""
    build = tmp_path / "base" / "dbt_models-1234567-abcdefg"
    build.mkdir(parents=True)
    (build / PARTIAL_PARSE_FILE).write_bytes(b"state of this build")
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "base"))
    keep_partial_parse(build, dbt_project())
    assert (tmp_path / "base" / PARTIAL_PARSE_FILE).read_bytes() == b"state of this build"
    assert sorted(p.name for p in (tmp_path / "base").iterdir()) == sorted(
        [build.name, PARTIAL_PARSE_FILE]
    )


def test_a_build_runs_on_the_last_parse_while_it_fits_the_warehouse(tmp_path, monkeypatch):
    """The parse state names the database it was made for (the DuckDB file's name); a build on
    a warehouse of that name, anywhere, does not parse again, one on another name or after a file
    of the project changed does."""
    project = dbt_project()
    state = Path(project.project_dir) / project.target_path / PARTIAL_PARSE_FILE
    copy = SimpleNamespace(project_dir=tmp_path / "project", target_path=Path("target"))
    (copy.project_dir / "target").mkdir(parents=True)
    (copy.project_dir / "target" / PARTIAL_PARSE_FILE).write_bytes(state.read_bytes())
    saved = Manifest.from_msgpack(state.read_bytes())
    (database,) = {node.database for node in saved.nodes.values()}

    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "elsewhere" / f"{database}.duckdb"))
    assert parsed_manifest(copy) is not None
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / f"not_{database}.duckdb"))
    assert parsed_manifest(copy) is None

    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / f"{database}.duckdb"))
    model = copy.project_dir / "models" / "changed.sql"
    model.parent.mkdir()
    model.write_text("select 1")
    parsed = (copy.project_dir / "target" / PARTIAL_PARSE_FILE).stat().st_mtime
    os.utime(model, (parsed + 1, parsed + 1))
    assert parsed_manifest(copy) is None


def test_an_interrupt_while_the_parse_state_loads_is_raised_not_taken_for_a_bad_state(
    tmp_path, monkeypatch
):
    """The manifest's decoders catch every exception: an interrupt that arrives while the parse
    state loads is handled once it has loaded, so the build stops instead of parsing again."""
    project = dbt_project()
    state = Path(project.project_dir) / project.target_path / PARTIAL_PARSE_FILE
    (database,) = {
        node.database for node in Manifest.from_msgpack(state.read_bytes()).nodes.values()
    }
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / f"{database}.duckdb"))
    load = Manifest.from_msgpack

    def interrupted_while_decoding(data: bytes) -> Manifest:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)  # the handler runs here, in the main thread
        except BaseException as error:  # as mashumaro's generated decoders do
            raise ValueError("not a manifest") from error
        return load(data)

    class Interrupted(BaseException):
        """What Dagster's handler raises while a run executes."""

    def raise_interrupted(signum: int, frame: object) -> None:
        raise Interrupted

    monkeypatch.setattr(Manifest, "from_msgpack", interrupted_while_decoding)
    previous = signal.signal(signal.SIGINT, raise_interrupted)
    try:
        with pytest.raises(Interrupted):
            parsed_manifest(project)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_every_model_and_column_is_documented(edge_case_build, tmp_path, monkeypatch):
    path, _ = edge_case_build
    monkeypatch.setenv("DUCKDB_PATH", str(path))
    target = tmp_path / "target"
    manifest = parsed_manifest(dbt_project())
    # The catalog alone (the columns the built tables have): the descriptions are the manifest's.
    generated = invoke_dbt(
        ["docs", "generate", "--no-compile"], dbt_project(), target, manifest=manifest
    )
    assert generated.success, generated.exception
    catalog = json.loads((target / "catalog.json").read_text())
    undocumented = []
    for unique_id, node in catalog["nodes"].items():
        described = manifest.nodes[unique_id]
        if not described.description:
            undocumented.append(unique_id)
        for column in node["columns"]:
            documented = described.columns.get(column)
            if documented is None or not documented.description:
                undocumented.append(f"{unique_id}.{column}")
    assert len(catalog["nodes"]) >= 30
    assert not undocumented


def test_metrics_summary_names_every_figure(edge_case_build):
    path, _ = edge_case_build
    with duckdb.connect(str(path), read_only=True) as conn:
        text = format_metrics(conn)
        (n_figures,) = conn.execute("select count(*) from main.metrics").fetchone()
    assert "stage2 cohen_kappa_mean" in text and "human-llm" in text
    assert "undefined" in text  # the constant LLM judge's Spearman
    assert len(text.splitlines()) > n_figures
    figure_lines = [line for line in text.splitlines() if line.startswith("    ")]
    assert len({len(line) for line in figure_lines}) == 1, "values and n line up in columns"


def test_metric_marts_show_their_figures_in_the_materialization(edge_case_build):
    _, result = edge_case_build
    materializations = [
        event.event_specific_data.materialization
        for event in result.get_asset_materialization_events()
    ]
    metadata = {m.asset_key.path[-1]: m.metadata for m in materializations}
    assert all("dagster/row_count" in entry for entry in metadata.values())
    with duckdb.connect(str(edge_case_build[0]), read_only=True) as conn:
        judges = conn.execute(
            "select count(distinct judge) from (select judge_a as judge "
            "from main.metrics_stage2_kappa_pairs union all select judge_b "
            "from main.metrics_stage2_kappa_pairs)"
        ).fetchone()[0]
        (n_figures,) = conn.execute("select count(*) from main.metrics").fetchone()
    matrix = metadata["metrics_stage2_kappa_pairs"]["kappa_matrix"].value.splitlines()
    assert len(matrix) == judges + 2 and matrix[0].count("|") == judges + 2
    figures = metadata["metrics"]["figures"].value.splitlines()
    assert len(figures) == n_figures + 2
