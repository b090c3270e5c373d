"""What `pipelines run` prints and what it logs: its own lines on the terminal, the rest (dbt,
Dagster, warnings, a traceback) in the run's log under the data folder."""

from __future__ import annotations

import os
import subprocess
import sys

# `pipelines run` in its own process, with a run that prints, starts a subprocess that prints,
# warns, then fails.
FAILING_RUN = """
import subprocess, sys, warnings
import pipelines.quality
from pipelines import cli

def failing_run(*_):
    print("printed by the run")
    subprocess.run([sys.executable, "-c", "print('printed by a subprocess')"], check=True)
    warnings.warn("a warning of the run", UserWarning, stacklevel=1)
    raise RuntimeError("the warehouse is gone\\nwith a second line")

cli.hash_key_problem = lambda: None
pipelines.quality.refresh_data_docs_index = lambda: None
cli._run_jobs = failing_run
sys.exit(cli.main(["run"]))
"""


def test_an_error_prints_one_line_naming_it_and_the_log_which_holds_everything(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPELINES_", "DUCKDB_"))}
    env["PIPELINES_DATA_DIR"] = str(tmp_path / "data")
    (tmp_path / "drops").mkdir()  # no drop: the failing run stands for the jobs
    env["PIPELINES_DROPS_DIR"] = str(tmp_path / "drops")
    completed = subprocess.run(
        [sys.executable, "-c", FAILING_RUN],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 1
    (log,) = (tmp_path / "data" / "logs").glob("run-*.log")
    assert (completed.stdout + completed.stderr).splitlines() == [
        f"log (dbt, Dagster, warnings): {log}",
        f"pipelines run failed: RuntimeError: the warehouse is gone (traceback in {log})",
        f"1 warnings: read them in {log}",
    ]
    logged = log.read_text()
    for text in ("printed by the run", "printed by a subprocess", "a warning of the run"):
        assert text in logged
    assert "Traceback" in logged and "with a second line" in logged


def test_the_summary_says_why_a_stage_or_population_is_empty_or_left_out(tmp_path):
    """The shapes of the real exports: stage-3 items without any rating, most real users below
    the history rule, users the exports name without a history."""
    import duckdb

    from pipelines.release.coverage import coverage

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        conn.execute(
            "create table stg_attributes as select range::varchar as attribute_id, "
            "(range % 10)::varchar as user_id from range(50)"
        )
        conn.execute(
            "create table stage1_attributes as select attribute_id, "
            "0 as n_human_labels from stg_attributes where user_id in ('1', '2')"
        )
        conn.execute(
            "create table stg_stage2_judgments as select (range % 20)::varchar as "
            "attribute_id, 'p' as prompt_id from range(60)"
        )
        conn.execute(
            "create table stage2_relevance as select * from "
            "(select distinct attribute_id from stg_stage2_judgments) limit 12"
        )
        conn.execute(
            "create table stg_stage3_items as select range::varchar as item_id from range(308)"
        )
        conn.execute("create table stg_stage3_ratings (item_id varchar, rating int)")
        conn.execute("create table int_stage3_ratings (item_id varchar)")
        conn.execute("create table stage3_preferences (item_id varchar)")
        conn.execute(
            "create table int_user_histories as "
            "select 'real' as source_kind, range = 0 as in_study, case when range = 0 then null "
            "when range < 1503 then 'few_conversations' else 'few_turns' end as exclusion_reason "
            "from range(1570) union all "
            "select 'unknown', true, null from range(141)"
        )
        lines = [reason.text for reason in coverage(conn, {"stage2_relevance": 10})]
    assert lines == [
        "stage 1: 10 attributes published of 50 in the drops; 40 belong to users outside the "
        "study; no stage-1 judgments in any drop, so none has a human label",
        "stage 2: 10 items published of 20 judged in the drops; 8 belong to users outside the "
        "study or name an attribute no drop holds; 2 withheld with their users for "
        "re-identification risk",
        "stage 3: 308 items, no ratings in any drop, so stage3_preferences is empty (it holds "
        "rated items only)",
        "users: 1 of 1,570 real users pass the history rule",
        "users: 141 users unknown: the exports name them but no drop holds their "
        "conversations, so the history rule cannot be checked and they stay in the study",
        "users: 1,502 users below 3 conversations, excluded",
        "users: 67 users below 15 turns, excluded",
    ]
