"""Pictures of the release for the card and the Dagster UI, drawn from its Parquet files.

Rows and users by split, the label distribution of each stage, Cohen's kappa for every pair of
stage-2 judges, and the stage-3 ratings of humans and each LLM judge. Files are written without
a timestamp, so the same data draws byte-identical images.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pipelines.release.datasheet import Staged, parquet_source  # noqa: E402

IMAGES_DIR = "images"
DPI = 80
_PNG_METADATA = {"Software": None}


@dataclass(frozen=True)
class Figure:
    path: str
    """Relative to the release root."""
    caption: str
    png: bytes = field(repr=False)

    def markdown(self) -> str:
        """The figure inline, for Dagster's metadata (the UI renders base64 images in Markdown)."""
        return f"![{self.caption}](data:image/png;base64,{base64.b64encode(self.png).decode()})"


def _save(figure: plt.Figure, root: Path, name: str, caption: str) -> Figure:
    relative = f"{IMAGES_DIR}/{name}.png"
    (root / IMAGES_DIR).mkdir(exist_ok=True)
    figure.tight_layout()
    figure.savefig(root / relative, dpi=DPI, metadata=_PNG_METADATA)
    plt.close(figure)
    return Figure(relative, caption, (root / relative).read_bytes())


def rows_by_split(root: Path, rows: dict[str, dict[str, int]], users: dict[str, int]) -> Figure:
    configs = list(rows)
    splits = list(dict.fromkeys(split for per_split in rows.values() for split in per_split))
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[3, 1])
    width = 0.8 / len(splits)
    for offset, split in enumerate(splits):
        left.bar(
            np.arange(len(configs)) + offset * width,
            [rows[c].get(split, 0) for c in configs],
            width,
            label=split,
        )
    left.set_xticks(np.arange(len(configs)) + width * (len(splits) - 1) / 2, configs, rotation=30)
    left.set_yscale("log")
    left.set_ylabel("rows (log scale)")
    left.set_title("Rows per config and split")
    left.legend()
    right.bar(list(users), list(users.values()), color=[f"C{i}" for i in range(len(users))])
    right.set_title("Users per split")
    return _save(figure, root, "rows_by_split", "Rows per config and split, users per split")


def label_distributions(root: Path, dictionary: list[dict]) -> Figure | None:
    """One panel per labelled field of the data dictionary, with its value counts."""
    if not dictionary:
        return None
    columns = 3
    lines = -(-len(dictionary) // columns)
    figure, axes = plt.subplots(lines, columns, figsize=(5 * columns, 3.2 * lines), squeeze=False)
    for axis, entry in zip(axes.flat, dictionary, strict=False):
        values = [v["value"] for v in entry["values"]]
        axis.barh(values, [v["count"] for v in entry["values"]])
        axis.invert_yaxis()
        axis.set_title(f"{entry['config']}.{entry['field']}", fontsize=9)
    for axis in list(axes.flat)[len(dictionary) :]:
        axis.axis("off")
    return _save(figure, root, "label_distributions", "Label values per stage and field")


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    observed = np.mean(a == b)
    expected = np.mean(a) * np.mean(b) + np.mean(~a) * np.mean(~b)
    return float("nan") if expected == 1 else float((observed - expected) / (1 - expected))


def stage2_kappa(
    conn: duckdb.DuckDBPyConnection, root: Path, files: list[Path], min_shared_items: int
) -> Figure | None:
    """Cohen's kappa of the `relevant` answers for every pair of judges with enough shared items."""
    labels = conn.execute(
        f"with items as (select row_number() over () as item, human_labels, llm_labels "
        f"from {parquet_source(files)}) "
        "select item, label.annotator_id, 'human', label.relevant "
        "from (select item, unnest(human_labels) as label from items) "
        "union all select item, label.judge, 'llm', label.relevant "
        "from (select item, unnest(llm_labels) as label from items)"
    ).fetchall()
    labels = [row for row in labels if row[3] is not None]
    if not labels:
        return None
    judges = sorted({(kind, judge) for _, judge, kind, _ in labels}, key=lambda j: (j[0], j[1]))
    index = {judge: i for i, (_, judge) in enumerate(judges)}
    items = {item for item, *_ in labels}
    item_index = {item: i for i, item in enumerate(sorted(items))}
    answers = np.full((len(item_index), len(judges)), -1, dtype=np.int8)
    for item, judge, _, relevant in labels:
        answers[item_index[item], index[judge]] = int(relevant)
    matrix = np.full((len(judges), len(judges)), np.nan)
    for i in range(len(judges)):
        for j in range(len(judges)):
            shared = (answers[:, i] >= 0) & (answers[:, j] >= 0)
            if i != j and shared.sum() >= min_shared_items:
                matrix[i, j] = _kappa(answers[shared, i] == 1, answers[shared, j] == 1)
    humans = 0
    names = []
    for kind, judge in judges:
        if kind == "human":
            humans += 1
            names.append(f"human {humans}")
        else:
            names.append(judge)
    size = max(5.0, 0.35 * len(judges) + 2)
    figure, axis = plt.subplots(figsize=(size + 1.5, size))
    image = axis.imshow(matrix, cmap="viridis", vmin=-0.2, vmax=1.0)
    axis.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    axis.set_yticks(range(len(names)), names, fontsize=7)
    axis.set_title(f"Stage 2: Cohen's kappa per judge pair (>= {min_shared_items} shared items)")
    figure.colorbar(image, ax=axis, shrink=0.8)
    return _save(
        figure,
        root,
        "stage2_kappa",
        "Stage 2: Cohen's kappa of every pair of judges (blank: too few shared items)",
    )


def stage3_ratings(conn: duckdb.DuckDBPyConnection, root: Path, files: list[Path]) -> Figure | None:
    """The distribution of 1-5 ratings for humans and for each LLM judge."""
    counts = conn.execute(
        "select rater, rating, count(*) from ("
        "select 'human' as rater, l.rating from "
        f"(select unnest(human_ratings) as l from {parquet_source(files)}) "
        "union all select l.judge, l.rating from "
        f"(select unnest(llm_ratings) as l from {parquet_source(files)})) "
        "where rating is not null group by all order by all"
    ).fetchall()
    if not counts:
        return None
    raters = list(
        dict.fromkeys(rater for rater, _, _ in sorted(counts, key=lambda c: c[0] != "human"))
    )
    totals = {rater: sum(n for r, _, n in counts if r == rater) for rater in raters}
    shares = {(r, rating): n / totals[r] for r, rating, n in counts}
    figure, axis = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(raters)
    for offset, rater in enumerate(raters):
        axis.bar(
            np.arange(1, 6) + (offset - (len(raters) - 1) / 2) * width,
            [shares.get((rater, rating), 0.0) for rating in range(1, 6)],
            width,
            label=rater,
        )
    axis.set_xticks(range(1, 6), ["1\nmuch worse", "2", "3\nno difference", "4", "5\nmuch better"])
    axis.set_xlabel("personalized response compared with the generic one")
    axis.set_ylabel("share of the rater's ratings")
    axis.set_title("Stage 3: rating distributions, humans and each LLM judge")
    axis.legend(fontsize=8)
    return _save(figure, root, "stage3_ratings", "Stage 3: ratings of humans and LLM judges")


def draw(
    conn: duckdb.DuckDBPyConnection,
    root: Path,
    staged: Staged,
    rows: dict[str, dict[str, int]],
    users: dict[str, int],
    dictionary: list[dict],
    kappa_min_shared_items: int,
) -> list[Figure]:
    """Every figure the release's data allows, written under `root/images/`."""
    figures = [rows_by_split(root, rows, users), label_distributions(root, dictionary)]
    if staged.has("stage2_relevance", "human_labels", "llm_labels"):
        figures.append(
            stage2_kappa(conn, root, staged.files["stage2_relevance"], kappa_min_shared_items)
        )
    if staged.has("stage3_preferences", "human_ratings", "llm_ratings"):
        figures.append(stage3_ratings(conn, root, staged.files["stage3_preferences"]))
    return [f for f in figures if f is not None]
