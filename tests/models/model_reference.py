"""The study's figures computed independently in Python (pandas, scikit-learn, SciPy,
krippendorff) from the scrubbed tables, to check the dbt marts against, or from the per-user
configs of a published release, to check its `metrics` config against.

Only the study's definitions are shared with the SQL, not its code: the user filter, the majority
vote, the minimum overlap of kappa pairs. The users the release withholds (the warehouse's
`release.withheld_users`) are left out of the stage figures, as the published files leave them out.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import duckdb
import krippendorff
import numpy as np
import pandas as pd
import yaml
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score, f1_score, precision_score, recall_score

from pipelines import settings

Figures = dict[tuple[str, str, str], tuple[float, int]]


def dbt_vars() -> dict:
    return yaml.safe_load((settings.DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(path), read_only=True) as conn:
        names = [
            "conversations",
            "annotators",
            "attributes",
            "stage1_judgments",
            "stage2_judgments",
            "stage3_items",
            "stage3_ratings",
        ]
        tables = {name: conn.execute(f"select * from scrubbed.{name}").df() for name in names}
        # The scrubber keeps of the request header only the client kind its user agent shows.
        tables["conversations"]["client_kind"] = (
            conn.execute("select header->>'$.client_kind' from scrubbed.conversations")
            .df()
            .iloc[:, 0]
        )
    return tables


def study_users(
    conversations: pd.DataFrame, named: set[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Users with source kind and filter outcome; how many each first failed rule removes.

    `named` users (of attributes and judgments) without a conversation stay in the study, of
    unknown source kind: their history was not shipped, so the filter cannot be checked.
    """
    v = dbt_vars()
    rows, excluded = (
        [],
        dict.fromkeys(["not_english", "scripted", "few_conversations", "few_turns"], 0),
    )
    for user, group in conversations.groupby("user_id"):
        scripted = (group["client_kind"] == "programmatic").sum()
        checks = [
            ("not_english", (group["language"] == "English").sum() * 2 <= len(group)),
            ("scripted", scripted * 2 >= len(group) and scripted > 0),
            ("few_conversations", len(group) < v["min_conversations"]),
            ("few_turns", group["n_turns"].sum() < v["min_turns"]),
        ]
        failed = [name for name, fails in checks if fails]
        kind = "real" if (group["source_kind"] == "real").any() else "synthetic"
        if failed:
            excluded[failed[0]] += 1
        rows.append({"user_id": user, "source_kind": kind, "in_study": not failed})
    for user in sorted(named - set(conversations["user_id"])):
        rows.append({"user_id": user, "source_kind": "unknown", "in_study": True})
    return pd.DataFrame(rows), excluded


def _share(mask: pd.Series) -> float:
    return float(mask.sum() / len(mask))


def _put(figures: Figures, stage: str, metric: str, subject: str, value: float, n: int) -> None:
    figures[(stage, metric, subject)] = (value, int(n))


def kappa_pairs(judgments: pd.DataFrame) -> pd.DataFrame:
    """Cohen's kappa (scikit-learn) of every pair of judges on the items both labelled."""
    labels = judgments.pivot_table(
        index=["attribute_id", "prompt_id"],
        columns="annotator_id",
        values="relevant",
        aggfunc="first",
    )
    kinds = judgments.drop_duplicates("annotator_id").set_index("annotator_id")["kind"]
    rows = []
    for a, b in itertools.combinations(sorted(labels.columns), 2):
        shared = labels[[a, b]].dropna()
        if shared.empty:
            continue
        kappa = cohen_kappa_score(shared[a].astype(bool), shared[b].astype(bool))
        group = "human-llm" if kinds[a] != kinds[b] else f"{kinds[a]}-{kinds[b]}"
        rows.append(
            {
                "judge_a": a,
                "judge_b": b,
                "pair_group": group,
                "n_shared": len(shared),
                "kappa": kappa,
            }
        )
    return pd.DataFrame(rows)


def alpha(judgments: pd.DataFrame) -> float:
    data = judgments.pivot_table(
        index="annotator_id",
        columns=["attribute_id", "prompt_id"],
        values="relevant",
        aggfunc="first",
    ).astype(float)
    try:
        return krippendorff.alpha(reliability_data=data.to_numpy(), level_of_measurement="nominal")
    except ValueError:  # one value in the whole domain: undefined
        return math.nan


def _withheld(path: Path) -> set[str]:
    """The users of `release.withheld_users`, when the warehouse has it."""
    with duckdb.connect(str(path), read_only=True) as conn:
        (exists,) = conn.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'release' and table_name = 'withheld_users'"
        ).fetchone()
        if not exists:
            return set()
        rows = conn.execute("select user_id from release.withheld_users").fetchall()
    return {user for (user,) in rows}


def figures(path: Path) -> tuple[Figures, dict[str, pd.DataFrame]]:
    """Every figure of the `metrics` mart, and the per-pair and per-judge tables."""
    t = _tables(path)
    named = (
        set(t["attributes"]["user_id"])
        | set(t["stage2_judgments"]["user_id"])
        | set(t["stage3_items"]["user_id"])
    )
    users, excluded = study_users(t["conversations"], named)
    out: Figures = {}
    for kind, group in users.groupby("source_kind"):
        _put(out, "study", "users_in_study", kind, float(group["in_study"].sum()), len(group))
    for reason, count in excluded.items():
        _put(out, "study", "users_excluded", reason, float(count), len(users))
    study = users[users["in_study"] & ~users["user_id"].isin(_withheld(path))]
    kinds = t["annotators"].set_index("annotator_id")["kind"]
    s1 = t["stage1_judgments"].merge(
        t["attributes"][["attribute_id", "user_id"]], on="attribute_id"
    )
    s1 = s1.merge(study, on="user_id")
    s1 = s1[s1["annotator_id"].map(kinds) == "human"]
    s2 = (
        t["stage2_judgments"]
        .drop(columns="user_id")
        .merge(t["attributes"][["attribute_id", "user_id"]], on="attribute_id")
        .merge(study[["user_id"]], on="user_id")
    )
    s2["kind"] = s2["annotator_id"].map(kinds)
    s3 = (
        t["stage3_ratings"]
        .merge(
            t["stage3_items"][
                ["item_id", "user_id", "generator_model", "mentions_attribute_explicitly"]
            ],
            on="item_id",
        )
        .merge(study[["user_id"]], on="user_id")
    )
    s3["kind"] = s3["annotator_id"].map(kinds)
    stages, tables = stage_figures(s1, s2, s3)
    return {**out, **stages}, tables


def published_judgments(
    stage1: list[dict], stage2: list[dict], stage3: list[dict]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The judgments of stages 1 to 3 as `stage_figures` takes them, unnested from the rows of
    the published configs stage1_attributes, stage2_relevance and stage3_preferences."""
    s1 = pd.DataFrame(
        [
            {
                "annotator_id": label["annotator_id"],
                "label": label["label"],
                "failure_category": label["failure_category"],
                "source_kind": row["source_kind"],
            }
            for row in stage1
            for label in row["human_labels"] or []
        ],
        columns=["annotator_id", "label", "failure_category", "source_kind"],
    )
    s2 = pd.DataFrame(
        [
            {
                "annotator_id": label[judge],
                "kind": kind,
                "attribute_id": row["attribute_id"],
                "prompt_id": row["prompt_id"],
                "relevant": label["relevant"],
            }
            for row in stage2
            for column, judge, kind in (
                ("human_labels", "annotator_id", "human"),
                ("llm_labels", "judge", "llm"),
            )
            for label in row[column] or []
        ],
        columns=["annotator_id", "kind", "attribute_id", "prompt_id", "relevant"],
    )
    s3 = pd.DataFrame(
        [
            {
                "annotator_id": rating[judge],
                "kind": kind,
                "item_id": row["item_id"],
                "rating": rating["rating"],
                "generator_model": row["generator_model"],
                "mentions_attribute_explicitly": row["mentions_attribute_explicitly"],
            }
            for row in stage3
            for column, judge, kind in (
                ("human_ratings", "annotator_id", "human"),
                ("llm_ratings", "judge", "llm"),
            )
            for rating in row[column] or []
        ],
        columns=[
            "annotator_id",
            "kind",
            "item_id",
            "rating",
            "generator_model",
            "mentions_attribute_explicitly",
        ],
    )
    return s1, s2, s3


def stage_figures(
    s1: pd.DataFrame, s2: pd.DataFrame, s3: pd.DataFrame
) -> tuple[Figures, dict[str, pd.DataFrame]]:
    """The figures of stages 1 to 3 from the human stage-1 labels (`s1`: label,
    failure_category, source_kind), the stage-2 labels (`s2`: annotator_id, kind, attribute_id,
    prompt_id, relevant) and the stage-3 ratings (`s3`: annotator_id, kind, item_id, rating,
    generator_model, mentions_attribute_explicitly) of the users counted."""
    out: Figures = {}
    # Stage 1
    problematic = {}
    for source, group in [*s1.groupby("source_kind"), ("all", s1)]:
        for label in ["accepted", "uncertain", "rejected"]:
            _put(
                out, "stage1", f"share_{label}", source, _share(group["label"] == label), len(group)
            )
        problematic[source] = (_share(group["label"].isin(["uncertain", "rejected"])), len(group))
        _put(out, "stage1", "share_problematic", source, *problematic[source])
    if {"real", "synthetic"} <= problematic.keys():
        _put(
            out,
            "stage1",
            "problematic_gap",
            "real-synthetic",
            problematic["real"][0] - problematic["synthetic"][0],
            problematic["real"][1] + problematic["synthetic"][1],
        )
    rejected = s1[s1["label"] == "rejected"]["failure_category"].fillna("unspecified")
    for category, count in rejected.value_counts().items():
        _put(out, "stage1", "share_of_rejected", category, count / len(rejected), len(rejected))

    # Stage 2
    kinds = (
        pd.concat([s2.drop_duplicates("annotator_id"), s3.drop_duplicates("annotator_id")])
        .drop_duplicates("annotator_id")
        .set_index("annotator_id")["kind"]
    )
    pairs = kappa_pairs(s2)
    eligible = pairs[pairs["n_shared"] >= dbt_vars()["kappa_min_shared_items"]]
    for group in ["human-human", "llm-llm", "human-llm"]:
        values = eligible.loc[eligible["pair_group"] == group, "kappa"].dropna()
        _put(
            out,
            "stage2",
            "cohen_kappa_mean",
            group,
            values.mean() if len(values) else math.nan,
            len(values),
        )
    for group, subset in [
        ("human", s2[s2["kind"] == "human"]),
        ("llm", s2[s2["kind"] == "llm"]),
        ("all", s2),
    ]:
        units = subset.groupby(["attribute_id", "prompt_id"]).size()
        _put(out, "stage2", "krippendorff_alpha", group, alpha(subset), int((units >= 2).sum()))
    for kind, group in s2.groupby("kind"):
        _put(out, "stage2", "share_relevant", kind, _share(group["relevant"]), len(group))
    human = s2[s2["kind"] == "human"].groupby(["attribute_id", "prompt_id"])["relevant"]
    votes = pd.DataFrame({"n": human.size(), "yes": human.sum()})
    votes["consensus"] = np.where(
        votes["yes"] * 2 > votes["n"], 1.0, np.where(votes["yes"] * 2 < votes["n"], 0.0, np.nan)
    )
    decided = votes["consensus"].dropna()
    _put(out, "stage2", "share_relevant", "consensus", float(decided.mean()), len(decided))
    _put(
        out,
        "stage2",
        "share_tied_consensus",
        "human",
        _share(votes["consensus"].isna()),
        len(votes),
    )
    judges = []
    for judge, group in s2.groupby("annotator_id"):
        row = {
            "judge": judge,
            "kind": kinds[judge],
            "n_judgments": len(group),
            "share_relevant": _share(group["relevant"]),
        }
        if kinds[judge] == "llm":
            _put(out, "stage2", "share_relevant", judge, row["share_relevant"], len(group))
            paired = group.join(decided, on=["attribute_id", "prompt_id"], how="inner")
            y_true, y_pred = paired["consensus"].astype(bool), paired["relevant"].astype(bool)
            for name, score in [
                ("precision", precision_score),
                ("recall", recall_score),
                ("f1", f1_score),
            ]:
                row[name] = score(y_true, y_pred, zero_division=0)
                _put(out, "stage2", name, judge, row[name], len(paired))
        judges.append(row)

    # Stage 3
    explicit = s3["mentions_attribute_explicitly"]
    for kind, group in s3.groupby("kind"):
        _put(out, "stage3", "mean_rating", kind, group["rating"].mean(), len(group))
        gap = group.loc[explicit, "rating"].mean() - group.loc[~explicit, "rating"].mean()
        _put(out, "stage3", "explicit_mention_gap", kind, gap, len(group))
        for generator, by_generator in group.groupby("generator_model"):
            _put(
                out,
                "stage3",
                f"mean_rating_{kind}_by_generator",
                generator,
                by_generator["rating"].mean(),
                len(by_generator),
            )
    human_mean = s3[s3["kind"] == "human"].groupby("item_id")["rating"].mean()
    items = s3.drop_duplicates("item_id").set_index("item_id").loc[human_mean.index]
    no_better = human_mean <= 3
    _put(out, "stage3", "share_no_better_human", "all", _share(no_better), len(no_better))
    for generator, ids in items.groupby("generator_model").groups.items():
        _put(out, "stage3", "share_no_better_human", generator, _share(no_better[ids]), len(ids))
    raters = []
    for judge, group in s3.groupby("annotator_id"):
        e, i = (
            group[group["mentions_attribute_explicitly"]],
            group[~group["mentions_attribute_explicitly"]],
        )
        row = {
            "judge": judge,
            "kind": kinds[judge],
            "mean_rating": group["rating"].mean(),
            "explicit_mention_gap": e["rating"].mean() - i["rating"].mean(),
        }
        if kinds[judge] == "llm":
            paired = group.join(human_mean.rename("human_mean"), on="item_id", how="inner")
            rho = spearmanr(paired["rating"], paired["human_mean"]).statistic
            row["spearman_with_human_mean"] = rho
            _put(out, "stage3", "mean_rating", judge, row["mean_rating"], len(group))
            _put(out, "stage3", "spearman_with_human_mean", judge, rho, len(paired))
            _put(
                out,
                "stage3",
                "explicit_mention_gap",
                judge,
                row["explicit_mention_gap"],
                len(group),
            )
        raters.append(row)
    return out, {
        "kappa_pairs": pairs,
        "stage2_judges": pd.DataFrame(judges),
        "stage3_judges": pd.DataFrame(raters),
    }
