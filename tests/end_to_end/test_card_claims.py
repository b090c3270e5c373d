"""The sample run's card says only what its published files, configuration and audit show."""

from __future__ import annotations

import re
import shutil

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from PIL import Image

from tests.release.card_claims import claim_errors, sections


@pytest.fixture(scope="module")
def card(pipeline_run) -> str:
    return (pipeline_run.release_dir / "README.md").read_text(encoding="utf-8")


def test_every_figure_of_the_card_holds_against_the_published_files(pipeline_run, card):
    assert claim_errors(card, pipeline_run.release_dir, pipeline_run.warehouse) == []


def _bump_first(pattern: str, text: str) -> str:
    """The text with the number of the first match of `pattern` (its last group) plus one."""
    match = re.search(pattern, text, flags=re.MULTILINE)
    assert match, pattern
    start, end = match.span(match.lastindex)
    return text[:start] + str(int(match.group(match.lastindex)) + 1) + text[end:]


@pytest.mark.parametrize(
    ("claim", "pattern"),
    [
        ("rows of a split", r"^\| `stage2_relevance` \|.*\| train (\d+)"),
        ("users of a kind", r"This release holds \d+ users: (\d+)"),
        ("a label count", r"^\| `accepted` \| .* \| (\d+) \|$"),
        ("judges of a stage", r"^\| stage 2 \| llm \| (\d+) \|"),
        ("a metric's n", r"^\| stage2 \| f1 \| .* \| (\d+) \|$"),
        ("a scrub audit count", r"^\| PERSON \| turns\.content \| (\d+) \|$"),
        ("public figures kept", r"names of the (\d+) public figures"),
        ("a stage's published rows", r"^- stage 3: (\d+) items published"),
        ("users passing the history rule", r"^- users: (\d+) of \d+ real users"),
    ],
)
def test_a_changed_figure_makes_the_claims_fail(pipeline_run, card, claim, pattern):
    broken = _bump_first(pattern, card)
    assert claim_errors(broken, pipeline_run.release_dir, pipeline_run.warehouse), claim


def test_a_figure_typed_into_the_prose_makes_the_claims_fail(pipeline_run, card):
    typed = card.replace("## Known limitations\n\n", "## Known limitations\n\n- 77 real users.\n")
    errors = claim_errors(typed, pipeline_run.release_dir, pipeline_run.warehouse)
    assert any("77" in error for error in errors)


def test_the_card_explains_labels_annotators_privacy_and_joins(card):
    found = sections(card)
    for heading in (
        "Data dictionary",
        "Annotators",
        "How to join the configs",
        "Metric definitions",
        "Personal data",
        "Uses",
        "Figures",
    ):
        assert heading in found, heading
    for value in ("necessary_explicit", "forbidden", "overgeneralization", "generic_first"):
        assert f"| `{value}` |" in card, value
    assert "Pay: not provided" in card
    assert "extra_gated_prompt:" in card.split("\n---\n", 1)[0]


def test_the_card_shows_the_release_figures(pipeline_run, card):
    shown = re.findall(r"!\[[^\]]+\]\((images/[\w.]+\.png)\)", card)
    assert {"images/stage2_kappa.png", "images/stage3_ratings.png"} <= set(shown)
    for path in shown:
        with Image.open(pipeline_run.release_dir / path) as image:
            assert image.format == "PNG" and min(image.size) > 200


def test_metrics_counting_a_user_the_files_lack_make_the_claims_fail(pipeline_run, card, tmp_path):
    """The published metrics are recomputed from the per-user configs: a user whose judgments
    the metrics count but the files do not hold (as a withheld user's would be) is caught."""
    release = tmp_path / "release"
    shutil.copytree(pipeline_run.release_dir, release, ignore=shutil.ignore_patterns(".git"))
    path = sorted((release / "data" / "stage2_relevance").glob("train-*.parquet"))[0]
    table = pq.read_table(path)
    user = table.column("user_id")[0].as_py()
    pq.write_table(table.filter(pc.not_equal(table.column("user_id"), user)), path)
    errors = claim_errors(card, release, pipeline_run.warehouse)
    assert any(
        error.startswith("metric ('stage2'") and "recomputed from the published" in error
        for error in errors
    ), errors
