"""The dbt unit tests of the project (`unit_tests:` in dbt/models/*/_*.yml) pass on a real DuckDB
file: consensus and ties, vote counts, Cohen's kappa per pair and its group mean, Krippendorff's
alpha, the users the release withholds left out of the figures, each on a handful of rows with
hand-computed results.

dbt reads the column types of a unit test's inputs from the warehouse, so the models are first
built empty (`dbt run --empty`) on the contract's `scrubbed` tables; the unit tests then run
against that file. The pipeline's own build leaves unit tests out
(pipelines/defs/models/assets.py), so this is where they run.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.defs.models.project import (
    DbtInvocation,
    dbt_project,
    invoke_dbt,
    parsed_manifest,
)
from tests.models.conftest import create_scrubbed_schema

# The unit tests the yml files declare, by model: a test removed or renamed must be removed here.
EXPECTED = {
    "int_stage1_human_votes": {"stage1_consensus_is_the_strict_majority_and_ties_give_none"},
    "int_stage2_human_votes": {
        "stage2_consensus_is_the_strict_majority_and_an_even_split_gives_none"
    },
    "int_stage2_llm_labels": {"stage2_llm_labels_count_each_judge_once_and_leave_humans_out"},
    "metrics_stage1": {"stage1_figures_leave_out_the_users_the_release_withholds"},
    "metrics_stage2_kappa_pairs": {
        "cohen_kappa_per_pair_on_shared_items_null_when_undefined",
        "stage2_kappa_leaves_out_the_items_of_withheld_users",
    },
    "metrics_stage2_alpha": {"krippendorff_alpha_per_group_over_pairable_items"},
    "metrics_stage2": {"cohen_kappa_mean_per_group_skips_undefined_and_small_pairs"},
}


def _dbt(args: list[str], target: Path) -> DbtInvocation:
    """dbt as the pipeline runs it (pipelines/defs/models/), on DUCKDB_PATH."""
    return invoke_dbt(args, dbt_project(), target, manifest=parsed_manifest(dbt_project()))


@pytest.fixture(scope="module")
def unit_test_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("dbt_unit")
    warehouse = folder / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        create_scrubbed_schema(conn)
    target = folder / "target"
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("DUCKDB_PATH", str(warehouse))
        empty = _dbt(["run", "--empty"], target)
        assert empty.success, empty.error()
        run = _dbt(["test", "--select", "test_type:unit"], target)
    return run, json.loads((target / "run_results.json").read_text())


def test_every_dbt_unit_test_passes(unit_test_run):
    run, results = unit_test_run
    failed = [r["unique_id"] for r in results["results"] if r["status"] != "pass"]
    assert run.success and not failed, f"failed: {failed}\n{run.error()}"


def test_the_unit_tests_cover_votes_consensus_kappa_and_alpha(unit_test_run):
    _, results = unit_test_run
    ran: dict[str, set[str]] = {}
    for result in results["results"]:
        # unit_test.<project>.<model>.<test name>
        _, _, model, name = result["unique_id"].split(".", 3)
        ran.setdefault(model, set()).add(name)
    assert ran == EXPECTED
