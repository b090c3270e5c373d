"""Markdown tables, as every report of the pipeline prints them (asset pages in the Dagster UI,
validation summaries, the bad-drops README, the privacy evaluation, docs/benchmarks.md).

One compact form: `| a | b |`, a `|---|---|` rule, no padding, so a table diffs line by line. A
cell is its `str()`; a `|` in it is escaped and a line break becomes a space, so a value can never
split a row or add a column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def markdown_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_row(cells: Iterable[Any]) -> str:
    return "| " + " | ".join(markdown_cell(cell) for cell in cells) + " |"


def markdown_table(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> str:
    """The table, without a trailing line break."""
    lines = [markdown_row(header), "|" + "---|" * len(header)]
    lines += [markdown_row(row) for row in rows]
    return "\n".join(lines)
