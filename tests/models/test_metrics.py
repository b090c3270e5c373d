"""Every figure of the metric marts equals an independent Python computation (scikit-learn,
SciPy, krippendorff) on the same scrubbed data, to 1e-9: on hand-made edge cases, on the
study-shaped sample with the users the release withholds left out, and on it withholding none."""

from __future__ import annotations

import math
import shutil
import warnings

import dagster as dg
import duckdb
import pytest

from pipelines.defs.models import defs
from pipelines.defs.models.assets import dbt_models
from pipelines.defs.models.withheld import withheld_users
from pipelines.release import k_anonymity
from tests.models import model_reference

TOLERANCE = 1e-9
BUILDS = ["edge_case_build", "sample_build", "unwithheld_build"]


@pytest.fixture(scope="module")
def unwithheld_build(sample_build, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the sample's warehouse where the real asset withheld_users records nobody
    (k = 1) and every model downstream of it is built again through Dagster. The sample build
    itself withholds the users below the default k, as the pipeline does."""
    folder = tmp_path_factory.mktemp("unwithheld")
    copy = shutil.copyfile(sample_build.warehouse, folder / "warehouse.duckdb")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DUCKDB_PATH", str(copy))
        env.setenv("PIPELINES_DATA_DIR", str(folder / "data"))
        env.setenv("PIPELINES_RELEASE_MIN_K", "1")
        result = dg.materialize(
            [dbt_models, withheld_users],
            resources=defs.resources,
            selection=dg.AssetSelection.assets(withheld_users).downstream(),
            raise_on_error=False,
        )
    return copy, result


def _same(expected: float, actual: float | None) -> bool:
    if actual is None or math.isnan(actual):
        return math.isnan(expected)
    return abs(expected - actual) <= TOLERANCE


@pytest.fixture(scope="module", params=BUILDS)
def build(request: pytest.FixtureRequest):
    built = request.getfixturevalue(request.param)
    if request.param == "sample_build":
        path = built.warehouse  # built once for the session; its build asserts dbt's success
    else:
        path, result = built
        assert result.success, f"dbt build failed on {request.param}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn and SciPy warn on the undefined cases
        expected, tables = model_reference.figures(path)
    return path, expected, tables


def _query(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_metrics_table_matches_independent_computation(build):
    path, expected, _ = build
    actual = {
        (stage, metric, subject): (value, n)
        for stage, metric, subject, value, n in _query(path, "select * from main.metrics")
    }
    assert actual.keys() == expected.keys()
    wrong = {
        key: (expected[key], actual[key])
        for key in expected
        if not _same(expected[key][0], actual[key][0]) or expected[key][1] != actual[key][1]
    }
    assert not wrong


def test_every_pairwise_kappa_matches_scikit_learn(build):
    path, _, tables = build
    pairs = tables["kappa_pairs"]
    actual = {
        (a, b): (kappa, n)
        for a, b, kappa, n in _query(
            path, "select judge_a, judge_b, kappa, n_shared from main.metrics_stage2_kappa_pairs"
        )
    }
    assert len(actual) == len(pairs)
    for row in pairs.itertuples():
        kappa, n_shared = actual[(row.judge_a, row.judge_b)]
        assert n_shared == row.n_shared
        assert _same(row.kappa, kappa), (row.judge_a, row.judge_b)


@pytest.mark.parametrize(
    ("table", "reference", "columns"),
    [
        ("metrics_stage2_judges", "stage2_judges", ["share_relevant", "precision", "recall", "f1"]),
        (
            "metrics_stage3_judges",
            "stage3_judges",
            ["mean_rating", "explicit_mention_gap", "spearman_with_human_mean"],
        ),
    ],
)
def test_per_judge_figures_match_for_humans_and_llms(build, table, reference, columns):
    path, _, tables = build
    expected = tables[reference].set_index("judge")
    rows = _query(path, f"select judge, {', '.join(columns)} from main.{table}")
    assert {row[0] for row in rows} == set(expected.index)
    for judge, *values in rows:
        for column, value in zip(columns, values, strict=True):
            want = expected.loc[judge].get(column, math.nan)
            want = math.nan if want is None else float(want)
            assert _same(want, value), (judge, column)


def test_edge_cases_are_defined_as_documented(edge_case_build):
    path, _ = edge_case_build
    (null_kappa,) = _query(
        path,
        "select kappa from main.metrics_stage2_kappa_pairs "
        "where judge_a = 'llm:never' and judge_b = 'llm:nope'",
    )
    assert null_kappa == (None,)  # two constant raters: expected agreement 1, kappa undefined
    never = _query(
        path,
        "select precision, recall, f1, true_positives + false_positives "
        "from main.metrics_stage2_judges where judge = 'llm:never'",
    )
    assert never == [(0.0, 0.0, 0.0, 0)]  # a judge with no positives scores 0, not an error
    (spearman,) = _query(
        path,
        "select spearman_with_human_mean from main.metrics_stage3_judges where judge = 'llm:never'",
    )
    assert spearman == (None,)  # a constant rater has no rank correlation
    (gap,) = _query(
        path, "select explicit_mention_gap from main.metrics_stage3_judges where judge = 'ann_h4'"
    )
    assert gap == (None,)  # rated only items with an explicit mention
    (excluded,) = _query(
        path,
        "select count(*) from main.metrics_stage2_kappa_pairs "
        "where not meets_min_shared_items and (judge_a = 'ann_h4' or judge_b = 'ann_h4')",
    )
    assert excluded[0] == 7  # h4 shares fewer than the minimum items with everyone


def test_the_withheld_users_are_left_out_of_every_stage_figure(sample_build, unwithheld_build):
    """The sample has real users below k: once recorded, the stage figures count fewer
    judgments, and the study figures (the history filter over the drops) do not change."""
    path = sample_build.warehouse
    with duckdb.connect(str(path), read_only=True) as conn:
        recorded = k_anonymity.recorded_below_k(conn)
    assert recorded
    query = "select stage, metric, subject, value, n from main.metrics"
    every = {tuple(row[:3]): row[3:] for row in _query(unwithheld_build[0], query)}
    left = {tuple(row[:3]): row[3:] for row in _query(path, query)}
    for key in [
        ("stage1", "share_accepted", "all"),
        ("stage2", "share_relevant", "human"),
        ("stage3", "mean_rating", "human"),
    ]:
        assert left[key][1] < every[key][1], key
    study = {key for key in every if key[0] == "study"}
    assert {key: left[key] for key in study} == {key: every[key] for key in study}
