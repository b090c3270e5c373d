"""The study's figures as a maintainer reads them: the `metrics` mart, formatted for a terminal."""

from __future__ import annotations

import duckdb


def format_metrics(conn: duckdb.DuckDBPyConnection) -> str:
    """One line per figure of `main.metrics`, grouped by stage and metric."""
    rows = conn.execute(
        "select stage, metric, subject, value, n from main.metrics "
        "order by stage <> 'study', stage, metric, subject"
    ).fetchall()
    lines = ["", "Study metrics (value, n):"]
    previous = None
    for stage, metric, subject, value, n in rows:
        if (stage, metric) != previous:
            lines.append(f"  {stage} {metric}")
            previous = (stage, metric)
        shown = "undefined" if value is None else f"{value:.3f}"
        lines.append(f"    {subject:<28} {shown:>10} {n if n is not None else '':>8}")
    return "\n".join(lines)


def print_metrics(conn: duckdb.DuckDBPyConnection) -> None:
    print(format_metrics(conn), flush=True)
