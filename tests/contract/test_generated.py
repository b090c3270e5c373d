"""The files rendered from the contract are current, and a field added to the one declaration
reaches ingest, the raw suite, dbt's staging layer and the docs after one command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.ingest import land_drop

ROOT = settings.PROJECT_ROOT
GENERATE = [sys.executable, "-m", "pipelines.contract", "generate"]
# What a copy of the project needs to generate, ingest, load suites and parse dbt.
COPIED = ("pipelines", "dbt", "expectations", "docs", "datacard", "pyproject.toml")
NEW_FIELD = """\
      difficulty:
        type: string
        role: vocabulary
        vocabulary: name
        description: how hard the source rates the prompt (`easy`, `hard`)
        published: How hard the source rates the prompt.
"""


def _run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A command run in `cwd` with that folder's `pipelines` package first on the path."""
    environment = {**os.environ, "PYTHONPATH": str(cwd), **env}
    return subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=600
    )


def test_generated_files_are_current():
    result = _run([*GENERATE, "--check"], ROOT)
    assert result.returncode == 0, (
        f"stale generated files: run `python -m pipelines.contract generate`\n{result.stderr}"
    )


def _copy_project(target: Path) -> Path:
    ignore = shutil.ignore_patterns("target", "logs", "__pycache__", "*.duckdb*")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    return target


def _add_field(contract: Path) -> None:
    """The new optional field, appended to the `prompts` table's columns."""
    text = contract.read_text(encoding="utf-8")
    prompts = text.index("\n  prompts:\n")
    end = text.index("\n  annotators:\n", prompts)
    contract.write_text(text[:end].rstrip("\n") + "\n" + NEW_FIELD + text[end:], encoding="utf-8")


def _drop(parent: Path, name: str, prompts: list[dict]) -> Path:
    folder = parent / name
    folder.mkdir()
    lines = "".join(json.dumps(p) + "\n" for p in prompts)
    (folder / "prompts.jsonl").write_text(lines, encoding="utf-8")
    return folder


INGEST_AND_READ = """
import json, sys
from pathlib import Path
import duckdb
from pipelines.ingest import land_drop
from pipelines.quality import DuckDBSource, load_suite, validate
warehouse, folder = sys.argv[1], Path(sys.argv[2])
with duckdb.connect(warehouse) as conn:
    report = land_drop(conn, folder)
    rows = conn.execute(
        "select prompt_id, difficulty from raw.prompts order by prompt_id").fetchall()
suite = load_suite(Path("expectations/raw.prompts.yml"))
outcome = validate(suite, DuckDBSource(warehouse), partition=folder.name, docs_dir=None)
columns = next(e.column_set for e in suite.suite.expectations
               if e.expectation_type == "expect_table_columns_to_match_set")
print(json.dumps({"rows": rows, "quarantined": report.rows_quarantined,
                  "suite_columns": sorted(columns), "suite_passed": outcome.success,
                  "suite_message": outcome.message()}))
"""


def test_a_new_optional_field_reaches_ingest_suite_dbt_and_docs(tmp_path: Path):
    project = _copy_project(tmp_path / "project")
    contract = project / "pipelines" / "contract" / "contract.yml"
    _add_field(contract)

    stale = _run([*GENERATE, "--check"], project)
    assert stale.returncode == 1 and "raw.prompts.yml: stale" in stale.stderr, stale.stderr
    generated = _run(GENERATE, project)
    assert generated.returncode == 0, generated.stderr
    assert _run([*GENERATE, "--check"], project).returncode == 0

    # A warehouse the unchanged contract made first: the new column is added to its table.
    warehouse = tmp_path / "warehouse.duckdb"
    before = _drop(
        tmp_path, "before", [{"prompt_id": "p0", "prompt_text": "Hi?", "source": "lima"}]
    )
    with duckdb.connect(str(warehouse)) as conn:
        land_drop(conn, before)
    drop = _drop(
        tmp_path,
        "with-difficulty",
        [
            {
                "prompt_id": "p1",
                "prompt_text": "Plan a trip.",
                "source": "lima",
                "difficulty": "easy",
            },
            {"prompt_id": "p2", "prompt_text": "Prove it.", "source": "lima"},
        ],
    )
    script = _run([sys.executable, "-c", INGEST_AND_READ, str(warehouse), str(drop)], project)
    assert script.returncode == 0, script.stderr
    landed = json.loads(script.stdout.strip().splitlines()[-1])
    assert landed["quarantined"] == 0
    assert landed["rows"] == [["p0", None], ["p1", "easy"], ["p2", None]]
    assert "difficulty" in landed["suite_columns"]
    assert landed["suite_passed"], landed["suite_message"]

    staging = project / "dbt" / "models" / "staging"
    assert "difficulty" in (staging / "stg_prompts.sql").read_text()
    dbt = _run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "compile",
            "--select",
            "stg_prompts",
            "--profiles-dir",
            ".",
            "--target-path",
            str(tmp_path / "dbt-target"),
        ],
        project / "dbt",
        DUCKDB_PATH=str(warehouse),
    )
    assert dbt.returncode == 0, dbt.stdout[-3000:]
    manifest = json.loads((tmp_path / "dbt-target" / "manifest.json").read_text())
    model = manifest["nodes"]["model.personalization.stg_prompts"]
    assert model["columns"]["difficulty"]["description"] == "How hard the source rates the prompt."
    assert "difficulty" in model["compiled_code"]
    source = manifest["sources"]["source.personalization.scrubbed.prompts"]
    assert "difficulty" in source["columns"]

    doc = (project / "docs" / "raw-data-contract.md").read_text()
    assert "| difficulty | string (name) | optional | vocabulary |" in doc
    schema = json.loads((project / "docs" / "contract" / "prompts.schema.json").read_text())
    assert "difficulty" in schema["properties"]
