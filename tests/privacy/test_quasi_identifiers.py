"""Quasi-identifiers: the city and the employer or school a user names about themselves go; the
countries, states and every place or company a text only talks about stay."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

import pyarrow.parquet as pq
import pytest

from pipelines.privacy import quasi_identifiers
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.engine import Detector
from pipelines.privacy.evaluate import LABELED_SETS, load_corpus, ours, score
from pipelines.privacy.quasi_identifiers import CITY, ORG, find
from pipelines.release.datasheet import privacy_policy
from pipelines.sample import content

QUASI = "quasi-identifiers"


def found(text: str) -> dict[str, str]:
    return {text[start:end]: kind for start, end, kind in find(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("j'habite à Toronto", {"Toronto": CITY}),
        ("The user lives in Tacoma", {"Tacoma": CITY}),
        ("I worked at Greenleaf Bank since 2015", {"Greenleaf Bank": ORG}),
        ("The user works at Brightpath Health", {"Brightpath Health": ORG}),
        ("lives in Tacoma, Washington", {"Tacoma": CITY}),
        ("I live in Tacoma Washington", {"Tacoma": CITY}),
        (
            "I'm from São Paulo and study at the University of Leeds.",
            {"São Paulo": CITY, "University of Leeds": ORG},
        ),
        (
            "Trabajo en Madrid, pero trabajo para Bluefin Retail.",
            {"Madrid": CITY, "Bluefin Retail": ORG},
        ),
        ("Ich wohne in München und arbeite bei Siemens.", {"München": CITY, "Siemens": ORG}),
        ("Abito a Bologna.", {"Bologna": CITY}),
        ("Moro em Curitiba.", {"Curitiba": CITY}),
        ("Ik woon in Utrecht.", {"Utrecht": CITY}),
        ("I'm a nurse at St. Mary's Hospital.", {"St. Mary's Hospital": ORG}),
        ("Missing: the user's job at Acme Analytics.", {"Acme Analytics": ORG}),
        ("The user's city (Orlando) is missing.", {"Orlando": CITY}),
        ("Since you live in Leeds, try the Dales.", {"Leeds": CITY}),
        ("I joined Cobalt Robotics last month.", {"Cobalt Robotics": ORG}),
    ],
)
def test_self_statements_name_a_city_or_an_organization(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I live in Canada.",
        "I'm from the United States.",
        "I grew up in Ohio.",
        "The user is based in Europe.",
        "I live in New South Wales.",
        "Je viens du Québec.",
        "Ich komme aus Bayern.",
        "We are planning a trip to Paris.",
        "Plan three days in Rome, including the Colosseum.",
        "How do I call Google's API from Python?",
        "My sister lives in Boston.",
        "Many people who live in Tokyo commute by train.",
        "I work at a bank.",
        "I live in a small town.",
        "I was born in May.",
        "I'm from HR.",
        "We moved to Kubernetes last year.",
        "I attended Coachella.",
        "He works at Microsoft.",
    ],
)
def test_countries_states_and_places_talked_about_stay(text):
    assert found(text) == {}


def test_countries_are_known_in_several_languages():
    for name in ("Germany", "Allemagne", "Alemania", "Deutschland", "Germania", "Duitsland"):
        assert quasi_identifiers.is_kept_place(name), name


def test_the_labeled_set_holds_positives_negatives_and_languages():
    records = load_corpus(LABELED_SETS[QUASI])
    labels = Counter(t for r in records for *_, t in r.spans)
    assert len(records) >= 300
    assert labels["CITY"] >= 100 and labels["EMPLOYER"] >= 80 and labels["SCHOOL"] >= 20
    assert sum(not r.spans for r in records) >= 100
    text = LABELED_SETS[QUASI].read_text(encoding="utf-8")
    for lead_in in ("J'habite à", "Vivo en", "Ich wohne in", "Abito a", "Moro em", "Ik woon in"):
        assert lead_in in text


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.shared(ScrubberConfig.load())


def test_the_labeled_set_meets_its_targets_through_the_engine():
    result = score(load_corpus(LABELED_SETS[QUASI]), ours(workers=1))
    for entity_type in ("CITY", "EMPLOYER", "SCHOOL"):
        assert result.recall(entity_type) >= 0.9, entity_type
    assert result.char_precision >= 0.9
    # Countries, states, places and companies talked about: at most a slip or two of this
    # recognizer (the name detector's own slips on these texts count as PERSON).
    assert result.outside_labels["CITY"] + result.outside_labels["ORG"] <= 2


def test_the_engine_types_and_the_policy_chooses_what_is_replaced(detector):
    text = "I live in Tacoma and work at Brightpath Health; I'm from Canada."
    findings = {text[f.start : f.end]: f.entity_type for f in detector.detect([text])[0]}
    assert findings == {"Tacoma": "CITY", "Brightpath Health": "ORG"}
    config = ScrubberConfig.load()
    without_city = dataclasses.replace(
        config, entities={t: s for t, s in config.entities.items() if t != "CITY"}
    )
    kept_city = Detector(without_city).detect([text])[0]
    assert {text[f.start : f.end]: f.entity_type for f in kept_city} == {"Brightpath Health": "ORG"}


def test_the_card_lists_the_quasi_identifiers_the_policy_replaces():
    policy = privacy_policy()
    assert [q["entity_type"] for q in policy["quasi_identifiers"]] == ["CITY", "ORG"]
    assert {"CITY", "ORG"} <= set(policy["replaced"])
    assert all("user" in q["what"] for q in policy["quasi_identifiers"])


# How the sample plants them (pipelines/sample/content.py, stage1.py): "j'habite à {home_city}",
# "I worked at {employer} since", the attributes "lives in {home_city}", "works in {home_city}" and
# "works at {employer}", and the reviewers' notes about the user's city and job.
SELF_STATEMENT = re.compile(
    r"(?:j'habite à|I worked at|lives in|works at|works in|the user's job at|The user's city \()\s*"
    r"(?P<value><[A-Z_]+_\d+>|[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)*)"
)


def test_the_sample_release_names_no_city_or_employer_in_a_self_statement(pipeline_run):
    """Every string of every published file: a self-statement holds a placeholder, never one of
    the sample's home cities or employers."""
    planted = {city for *_, city, _ in content.PLACES} | set(content.EMPLOYERS)
    values: Counter[str] = Counter()
    for path in sorted((pipeline_run.release_dir / "data").glob("*/*.parquet")):
        table = pq.read_table(path)
        for column in table.column_names:
            for value in table.column(column).to_pylist():
                for text in _strings(value):
                    for match in SELF_STATEMENT.finditer(text):
                        values[match["value"]] += 1
    leaked = {value for value in values if value in planted}
    assert not leaked, f"{len(leaked)} planted cities or employers left in self-statements"
    placeholders: Counter[str] = Counter()
    for value, count in values.items():
        placeholders[re.sub(r"_\d+>", ">", value)] += count
    assert placeholders["<CITY>"] >= 5 and placeholders["<ORG>"] >= 5, placeholders


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
