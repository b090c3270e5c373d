"""The real study drop and real chat logs, end to end: nothing lost, nobody identifiable.

The real files are read by path from ../shared/realdata (never copied into the repo): by default a
cut of them made at test time, the whole exports in the tests marked slow (tests/realdata.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.end_to_end.conftest import PipelineRun, pipeline_env
from tests.end_to_end.test_sample_run import published_texts, warehouse_texts
from tests.realdata import EMAIL, US_PHONE, RealExports
from tests.text_search import occurring

HEX_ID = re.compile(r"\b[0-9a-f]{24}\b")


def annotator_identifiers(study: Path) -> set[str]:
    """Annotator first names and crowd-platform IDs, from the export's file names and fields."""
    found = set()
    for path in (study / "annotations_v0").glob("*_task*.jsonl"):
        found.add(path.name.split("_task")[0])
        found.update(re.findall(r'"annotator": "([^"]+)"', path.read_text()))
    return {name for name in found if name != "admin"}  # the tool's admin account, not a person


def sharegpt_contacts(sharegpt: Path) -> set[str]:
    """E-mail addresses and phone numbers in the raw, unredacted ShareGPT human turns."""
    import json

    found = set()
    for path in sharegpt.glob("*.json"):
        record = json.loads(path.read_text())
        if not isinstance(record, dict):
            continue
        for turn in record.get("conversations", []):
            if turn.get("from") == "human":
                found.update(EMAIL.findall(turn["value"]))
                found.update(US_PHONE.findall(turn["value"]))
    return found


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, real_exports: RealExports) -> PipelineRun:
    workdir = tmp_path_factory.mktemp("real")
    env = pipeline_env(workdir)
    env["PIPELINES_HASH_KEY"] = "test-key-for-the-real-data-run-0123456789"
    drops = workdir / "drops"
    commands = [
        [
            sys.executable,
            "-m",
            "pipelines.adapters",
            str(real_exports.study),
            str(real_exports.wildchat),
            str(drops / "study-real"),
            "--lima",
            str(real_exports.lima),
        ],
        [
            sys.executable,
            "-m",
            "pipelines.adapters",
            str(real_exports.sharegpt),
            str(drops / "sharegpt-real"),
        ],
        [
            sys.executable,
            "-m",
            "pipelines",
            "run",
            str(drops / "study-real"),
            str(drops / "sharegpt-real"),
        ],
    ]
    output = []
    for command in commands:
        done = subprocess.run(
            command, cwd=workdir, env=env, capture_output=True, text=True, timeout=1800
        )
        output.append(done.stdout + done.stderr)
        assert done.returncode == 0, "\n".join(output)[-5000:]
    return PipelineRun(workdir=workdir, env=env, output="\n".join(output))


def dagster_logs(run: PipelineRun) -> str:
    """The Dagster instance's stored event logs and compute logs of the run."""
    parts = []
    for path in (run.workdir / "data" / "dagster").rglob("*"):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_every_real_file_is_accounted_for(real_run):
    import duckdb

    with duckdb.connect(str(real_run.warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select _drop_id, _file, rows_read, rows_landed, rows_quarantined "
            "from raw.ingested_files order by 1, 2"
        ).fetchall()
    assert {drop for drop, *_ in rows} == {"study-real", "sharegpt-real"}
    for drop, file, read, landed, quarantined in rows:
        print(f"{drop}/{file}: in {read} = landed {landed} + quarantined {quarantined}")
        assert read == landed + quarantined


def test_real_stage2_votes_give_a_consensus_and_a_kappa_matrix(real_run):
    import duckdb

    with duckdb.connect(str(real_run.warehouse), read_only=True) as conn:
        consensus = conn.execute("select count(*) from main.stage2_relevance").fetchone()[0]
        kappas = conn.execute(
            "select count(*) from main.metrics where metric like '%kappa%'"
        ).fetchone()[0]
    assert consensus > 0 and kappas > 0


def test_the_real_release_loads_every_config_with_datasets(real_run, tmp_path):
    import pyarrow.parquet as pq
    from datasets import load_dataset
    from huggingface_hub import DatasetCard

    configs = sorted(p for p in (real_run.release_dir / "data").iterdir() if p.is_dir())
    card = DatasetCard.load(real_run.release_dir / "README.md")
    listed = {c["config_name"] for c in card.data.configs}
    assert {"conversations", "stage2_relevance", "metrics"} <= {c.name for c in configs}
    for config in configs:
        published: dict[str, int] = {}
        for path in config.glob("*.parquet"):
            split = path.name.split("-")[0]
            published[split] = published.get(split, 0) + pq.read_metadata(path).num_rows
        with_rows = {split: rows for split, rows in published.items() if rows}
        # datasets cannot load a split without rows: the card's header lists only those with rows
        # (an empty config not at all), and each config listed loads as published.
        assert (config.name in listed) == bool(with_rows), config.name
        if not with_rows:
            continue
        loaded = load_dataset(str(real_run.release_dir), config.name, cache_dir=str(tmp_path))
        assert {split: rows.num_rows for split, rows in loaded.items()} == with_rows, config.name


def test_no_annotator_or_contact_from_the_real_files_reaches_outputs_or_logs(
    real_run, real_exports
):
    contacts = sharegpt_contacts(real_exports.sharegpt)
    identifiers = annotator_identifiers(real_exports.study) | contacts
    assert any(HEX_ID.fullmatch(i) for i in identifiers), "the real files hold platform IDs"
    assert contacts, "the real ShareGPT files hold e-mail addresses and phone numbers"
    places = {
        "modeled tables": warehouse_texts(real_run.warehouse, ("scrubbed", "main")),
        "published release": published_texts(real_run.release_dir),
        "run output": real_run.output,
        "dagster logs": dagster_logs(real_run),
        "run log": "\n".join(path.read_text() for path in real_run.logs),
    }
    # Found as substrings first, then each as a whole token (not part of a longer word).
    leaks = [
        (where, "a platform ID" if HEX_ID.fullmatch(value) else f"{len(value)}-char value")
        for where, text in places.items()
        for value in occurring(identifiers, text)
        if re.search(rf"(?<![\w.@-]){re.escape(value)}(?![\w@-])", text)
    ]
    assert not leaks, leaks


def test_the_run_and_the_card_say_why_stage_3_and_real_users_are_left_out(real_run):
    """The real exports hold stage-3 response pairs and no rating of them, and most real users
    fail the history rule: the run's summary and the card say so, with the warehouse's counts."""
    import duckdb

    with duckdb.connect(str(real_run.warehouse), read_only=True) as conn:
        items = conn.execute("select count(*) from raw.stage3_items").fetchone()[0]
        published = conn.execute("select count(*) from main.stage3_preferences").fetchone()[0]
        real, kept = conn.execute(
            "select count(*), count_if(in_study) from main.int_user_histories "
            "where source_kind = 'real'"
        ).fetchone()
    assert items > 0 and published == 0
    stage3 = f"stage 3: {items:,} item{'s' if items != 1 else ''}, no ratings in any drop"
    users = f"users: {kept:,} of {real:,} real user{'s' if real != 1 else ''} pass the history rule"
    card = (real_run.release_dir / "README.md").read_text(encoding="utf-8")
    for text in (stage3, users):
        assert text in real_run.output and f"- {text}" in card, text
    # The adapters print a progress line per source file.
    assert re.search(r"^read task6_items\.jsonl: \d+ units .* files done", real_run.output, re.M)
