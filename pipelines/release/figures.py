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
# Items per slice of the kappa counts, and stage-2 votes per batch read: a few megabytes each.
KAPPA_SLICE_ITEMS = 65_536
VOTES_PER_BATCH = 1_048_576
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


def kappa_matrix(answers: np.ndarray, min_shared_items: int) -> np.ndarray:
    """Cohen's kappa of every pair of judges (columns of `answers`: 1 yes, 0 no, -1 no answer),
    NaN where a pair shares fewer than `min_shared_items` items. The counts are matrix products
    of the answer masks, so the cost grows with items times judges, not with judge pairs times
    items; each kappa is computed from exact integer counts. The products are summed over slices
    of `KAPPA_SLICE_ITEMS` items: the masks are float64, eight times the answers' size, and whole
    they held gigabytes at millions of items."""
    judges = answers.shape[1]
    shared, agreed, yes_a = (np.zeros((judges, judges)) for _ in range(3))
    for start in range(0, len(answers), KAPPA_SLICE_ITEMS):
        part = answers[start : start + KAPPA_SLICE_ITEMS]
        answered = (part >= 0).astype(np.float64)
        yes = (part == 1).astype(np.float64)
        no = (part == 0).astype(np.float64)
        shared += answered.T @ answered
        agreed += yes.T @ yes + no.T @ no
        yes_a += yes.T @ answered
    yes_b = yes_a.T
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = agreed / shared
        expected = (yes_a / shared) * (yes_b / shared) + ((shared - yes_a) / shared) * (
            (shared - yes_b) / shared
        )
        kappa = np.where(expected == 1, np.nan, (observed - expected) / (1 - expected))
    kappa[shared < max(min_shared_items, 1)] = np.nan
    np.fill_diagonal(kappa, np.nan)
    return kappa


def stage2_kappa(
    conn: duckdb.DuckDBPyConnection, root: Path, files: list[Path], min_shared_items: int
) -> Figure | None:
    """Cohen's kappa of the `relevant` answers for every pair of judges with enough shared items."""
    labels = (
        f"with items as (select row_number() over () as item, human_labels, llm_labels "
        f"from {parquet_source(files)}), "
        "labels as (select item, 'human' as kind, label.annotator_id as judge, label.relevant "
        "from (select item, unnest(human_labels) as label from items) "
        "union all select item, 'llm', label.judge, label.relevant "
        "from (select item, unnest(llm_labels) as label from items)) "
    )
    judges = conn.execute(
        f"{labels} select distinct kind, judge from labels where relevant is not null "
        "order by kind, judge"
    ).fetchall()
    if not judges:
        return None
    # Items are numbered from 1 (every row of the files, from their metadata), judges ranked in
    # the order of `judges`; the votes arrive in batches, so only the answers matrix (a byte per
    # item and judge; an item without votes stays unanswered) is ever whole.
    (items,) = conn.execute(f"select count(*) from {parquet_source(files)}").fetchone()
    answers = np.full((int(items), len(judges)), -1, dtype=np.int8)
    votes = conn.execute(
        f"{labels} select item - 1 as item, "
        "dense_rank() over (order by kind, judge) - 1 as judge, relevant::tinyint as relevant "
        "from labels where relevant is not null"
    ).to_arrow_reader(VOTES_PER_BATCH)
    for batch in votes:
        item, judge, relevant = (batch.column(name).to_numpy() for name in batch.schema.names)
        answers[item, judge] = relevant
    matrix = kappa_matrix(answers, min_shared_items)
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
