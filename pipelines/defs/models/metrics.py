"""The study's figures as a maintainer reads them: the `metrics` mart, formatted for a terminal."""

from __future__ import annotations

from collections.abc import Collection

import duckdb

from pipelines.text_format import markdown_table

# The figures `pipelines run` prints at its end, as (stage, metric); the run's log, the dataset
# card and the `metrics` asset in the Dagster UI hold every figure.
HEADLINE_METRICS = (
    ("stage2", "cohen_kappa_mean"),
    ("stage2", "share_relevant"),
    ("stage2", "baseline_f1"),
    ("stage3", "spearman_with_human_mean"),
)


def _metric_rows(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(stage, metric, subject, value, n) of `main.metrics`, study figures first."""
    return conn.execute(
        "select stage, metric, subject, value, n from main.metrics "
        "order by stage <> 'study', stage, metric, subject"
    ).fetchall()


def format_metrics(
    conn: duckdb.DuckDBPyConnection, only: Collection[tuple[str, str]] | None = None
) -> str:
    """One line per figure of `main.metrics` (of the (stage, metric) pairs `only`, when given),
    grouped by stage and metric."""
    rows = [row for row in _metric_rows(conn) if only is None or tuple(row[:2]) in only]
    lines = ["Study metrics (value, n):" if only is None else "Headline metrics (value, n):"]
    previous = None
    width = max((len(str(row[2])) for row in rows), default=0)
    for stage, metric, subject, value, n in rows:
        if (stage, metric) != previous:
            lines.append(f"  {stage} {metric}")
            previous = (stage, metric)
        shown = "undefined" if value is None else f"{value:.3f}"
        lines.append(f"    {subject:<{width}} {shown:>10} {n if n is not None else '':>8}")
    return "\n".join(lines)


def _label(judge: str) -> str:
    """A judge as a column header: LLM judges by model, annotators by the head of their hash."""
    if judge.startswith("annotator_"):
        return judge[:16]
    return judge.removeprefix("llm:")


def kappa_matrix_markdown(conn: duckdb.DuckDBPyConnection) -> str:
    """The pairwise Cohen's kappa of stage 2 as a judge-by-judge markdown table."""
    pairs = conn.execute(
        "select judge_a, judge_b, kappa from main.metrics_stage2_kappa_pairs"
    ).fetchall()
    judges = sorted(
        {j for a, b, _ in pairs for j in (a, b)}, key=lambda j: (j.startswith("llm:"), j)
    )
    kappa = {frozenset((a, b)): k for a, b, k in pairs}
    rows = [
        [
            _label(row),
            *(
                "1"
                if row == column
                else ""
                if kappa.get(frozenset((row, column))) is None
                else f"{kappa[frozenset((row, column))]:.2f}"
                for column in judges
            ),
        ]
        for row in judges
    ]
    return markdown_table(["judge", *(_label(j) for j in judges)], rows)


def metrics_markdown(conn: duckdb.DuckDBPyConnection) -> str:
    """Every figure of `main.metrics` as a markdown table, for the asset's page in the UI."""
    rows = _metric_rows(conn)
    return markdown_table(
        ["stage", "metric", "subject", "value", "n"],
        (
            [
                stage,
                metric,
                _label(subject),
                "undefined" if value is None else f"{value:.3f}",
                n or "",
            ]
            for stage, metric, subject, value, n in rows
        ),
    )
