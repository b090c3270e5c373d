"""The scrubber's figures on the labeled sets the project keeps, through the real engine.

The sets are scored as `python -m pipelines.privacy.evaluate` scores them; the engine is built
once per process (`Detector.shared`), so the sets cost a few seconds. The real-turn sample points
into ../shared/realdata and is scored only where that folder is.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from pipelines.privacy.config import DEFAULT_CONFIG_PATH, ScrubberConfig
from pipelines.privacy.engine import Detector
from pipelines.privacy.evaluate import (
    KEPT_BY_POLICY,
    LABELED_SETS,
    Record,
    Score,
    available,
    doc_is_current,
    load_corpus,
    ours,
    score,
)
from pipelines.privacy.real_turns import HALVES, RealTurnError, half, load_real_turns, strata
from pipelines.release.datasheet import privacy_policy


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    """Each labeled set found, scored by the configured scrubber in this process."""
    predict = ours(workers=1)
    return {
        name: score(load_corpus(path), predict)
        for name, path in LABELED_SETS.items()
        if available(path)
    }


def _negatives(name: str) -> list[Record]:
    return [record for record in load_corpus(LABELED_SETS[name]) if not record.spans]


def test_the_labeled_sets_hold_enough_positives_and_look_alikes():
    identifiers = load_corpus(LABELED_SETS["identifier codes"])
    names = load_corpus(LABELED_SETS["false names"])
    assert sum(len(r.spans) for r in identifiers) >= 150
    assert len(_negatives("identifier codes")) >= 100
    # Texts with no person's name in them: none of their words may become PERSON.
    assert sum(all(t != "PERSON" for _, _, t in r.spans) for r in names) >= 200
    assert sum(t == "PERSON" for r in names for _, _, t in r.spans) >= 50


def test_the_real_turn_sample_is_large_enough_and_labels_names_of_all_kinds():
    path = LABELED_SETS["real turns"]
    assert sum(strata(path).values()) >= 500
    if not available(path):
        pytest.skip("../shared/realdata is not here")
    labels = [label for record in load_corpus(path) for _, _, label in record.spans]
    assert labels.count("PERSON") >= 100
    assert labels.count("PUBLIC_FIGURE") >= 100
    assert labels.count("NOT_PERSON") >= 100


def test_the_real_turns_fall_in_a_development_and_a_held_out_half_by_record_key():
    # The half depends on the record key only, so every turn of a record stays in one half.
    assert {half(f"record-{n}") for n in range(20)} == set(HALVES)
    assert half("record-1") == half("record-1")
    path = LABELED_SETS["real turns"]
    if not available(path):
        pytest.skip("../shared/realdata is not here")
    parts = [record.part for record in load_corpus(path)]
    assert all(part in HALVES for part in parts)
    assert min(parts.count(part) for part in HALVES) >= 200


def test_a_label_is_refused_when_its_turn_is_not_the_text_it_was_made_for(tmp_path):
    data = tmp_path / "realdata" / "chat.jsonl"
    data.parent.mkdir()
    text = "Please write to my aunt Henrike."
    record = {"id": "c1", "messages": [{"role": "user", "content": text}]}
    data.write_text(json.dumps(record) + "\n", encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    labels = tmp_path / "turns.tsv"
    labels.write_text(f"# one turn\nchat.jsonl\tc1\t0\t{digest}\trandom\t24:31=private\n")
    assert list(load_real_turns(labels, data.parent)) == [(text, [(24, 31, "PERSON")])]
    labels.write_text(f"chat.jsonl\tc1\t0\t{'0' * 16}\trandom\t24:31=private\n")
    with pytest.raises(RealTurnError, match=r"turns.tsv, line 1, field digest"):
        list(load_real_turns(labels, data.parent))
    labels.write_text(f"chat.jsonl\tc1\t0\t{digest}\trandom\t24:90=private\n")
    with pytest.raises(RealTurnError, match=r"line 1, field labels"):
        list(load_real_turns(labels, data.parent))


def test_every_person_finding_in_the_real_turns_is_labeled_and_private_names_are_found(scores):
    if "real turns" not in scores:
        pytest.skip("../shared/realdata is not here")
    turns = scores["real turns"]
    # Each PERSON finding touches a label: a private name, or a name or word to keep.
    on_names_to_keep = sum(n for k, n in turns.on_look_alikes.items() if k.startswith("PERSON"))
    assert turns.outside_labels["PERSON"] == on_names_to_keep
    assert turns.recall("PERSON") >= REAL_TURN_FLOOR["recall"]
    assert turns.precision("PERSON") >= REAL_TURN_FLOOR["precision"]


# The real-turn figures the scrubber holds (a little under those of the committed results).
REAL_TURN_FLOOR = {"recall": 0.97, "precision": 0.9}
# The same per half of the sample: (recall, precision).
HALF_FLOOR = {"development": (0.95, 0.87), "held-out": (0.98, 0.91)}


def test_each_half_of_the_real_turns_holds_its_figures():
    if not available(LABELED_SETS["real turns"]):
        pytest.skip("../shared/realdata is not here")
    records = load_corpus(LABELED_SETS["real turns"])
    predict = ours(workers=1)
    for part, (recall, precision) in HALF_FLOOR.items():
        figures = score([r for r in records if r.part == part], predict)
        assert figures.recall("PERSON") >= recall, part
        assert figures.precision("PERSON") >= precision, part


def test_numbers_introduced_as_identifiers_are_scrubbed_and_look_alikes_are_not(scores):
    identifiers = scores["identifier codes"]
    assert identifiers.recall("ID_NUMBER") >= 0.95
    # Versions, years, dates, prices, quantities, sections: nothing found in them at all.
    assert identifiers.outside_labels == {}
    assert identifiers.char_precision >= 0.99


def test_capitalized_words_that_are_no_person_are_left_and_private_names_are_not(scores):
    false_names = scores["false names"]
    assert false_names.outside_labels["PERSON"] == 0
    assert false_names.recall("PERSON") >= 0.95
    assert false_names.recall("PHONE_NUMBER") == 1.0


def test_presidio_synth_figures_hold(scores):
    if "presidio-synth" not in scores:
        pytest.skip(f"presidio-synth not found at {LABELED_SETS['presidio-synth']}")
    synth = scores["presidio-synth"]
    assert synth.recall("PERSON") >= 0.95
    assert synth.recall("STREET_ADDRESS") >= 0.95
    assert synth.recall("ZIP_CODE") >= 0.95
    others = set(synth.mentions) - KEPT_BY_POLICY - {"PERSON", "STREET_ADDRESS", "ZIP_CODE"}
    assert {t: synth.recall(t) for t in others if synth.recall(t) < 0.98} == {}
    assert synth.char_precision >= 0.97


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.shared(ScrubberConfig.load())


def found(detector: Detector, text: str) -> dict[str, str]:
    return {text[f.start : f.end]: f.entity_type for f in detector.detect([text])[0]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A phone number whose digits also pass the NHS checksum is a phone number.
        ("Reach me on 212-555-0105.", {"212-555-0105": "PHONE_NUMBER"}),
        # The lead-in of another language is not part of the name, nor what follows the comma.
        ("Je m'appelle Marie, j'ai une question pour vous.", {"Marie": "PERSON"}),
        ("Mein Name ist Greta Vollmer, ich brauche Hilfe.", {"Greta Vollmer": "PERSON"}),
        # The value only, not its lead-in; a labeled identifier is one whatever its shape.
        ("Order #A7712093 was charged twice.", {"A7712093": "ID_NUMBER"}),
        ("Numéro de dossier : DS-77120", {"DS-77120": "ID_NUMBER"}),
        ("my order number is 07700 900461", {"07700 900461": "ID_NUMBER"}),
        ("My driver's license number is 6940579", {"6940579": "US_DRIVER_LICENSE"}),
        # Names in code are no identifiers, a programming language is no person.
        ("abstract contract ERC20RebaseDistributor is ERC20 {", {}),
        ("Plot it in the Wolfram Language, then in Wolfram Language 13.", {}),
        # An employer is not a person, the employee is.
        ("Lena Kowalczyk works at Brightpath Health.", {"Lena Kowalczyk": "PERSON"}),
        # One English word, no one's given name, is none; a title or a series makes it one.
        ("Format: name, severity. Background: levels.", {}),
        (
            "Ask Ms. Amps and Bowman and Vasquez.",
            {"Amps": "PERSON", "Bowman": "PERSON", "Vasquez": "PERSON"},
        ),
        # A brand after an article is a brand; a performer's concert is a person's.
        ("Is a Calvin Klein watch a good gift?", {}),
        # The names a series, a dialogue or what is said of someone gives away.
        (
            "Our founders: Kónya, Monjeau and Vasquez.",
            {"Kónya": "PERSON", "Monjeau": "PERSON", "Vasquez": "PERSON"},
        ),
        ('Ubul: What a wife.\nNicole: "Remember me?"', {"Ubul": "PERSON", "Nicole": "PERSON"}),
        ("I'm so jealous! said Maslow to Antonio", {"Maslow": "PERSON", "Antonio": "PERSON"}),
        (
            "Trivo lives on Grössgstötten 50 street.",
            {"Trivo": "PERSON", "Grössgstötten 50": "STREET_ADDRESS"},
        ),
        # The account name of a path is a user name; a folder every machine has is none.
        (
            "It fails in C:\\Users\\andy9\\Desktop\\app.py and /home/lena/data.csv",
            {"andy9": "USERNAME", "lena": "USERNAME"},
        ),
        ("Copy it to C:\\Users\\Public\\Documents first.", {}),
        # Streets at a corner, a house number inside the street, the lines of a block.
        (
            "It is the corner of Dalbraut 99 and Frederikke Coves",
            {"the corner of Dalbraut 99 and Frederikke Coves": "STREET_ADDRESS"},
        ),
        (
            "Send it to Storgarden 52 Trajanka Forks\n Suite 894\n HARSTAD\n Norway 95441 today",
            {"Storgarden 52 Trajanka Forks\n Suite 894\n HARSTAD\n Norway 95441": "STREET_ADDRESS"},
        ),
        (
            "Meet me at 34151 Nybyvägen 65 Apt. 392\nGarður\n, nan\n 26783",
            {"34151 Nybyvägen 65 Apt. 392\nGarður\n, nan\n 26783": "STREET_ADDRESS"},
        ),
    ],
)
def test_types_and_spans_of_identifiers_phones_and_names(detector, text, expected):
    assert found(detector, text) == expected


def test_public_figures_named_as_a_topic_are_kept_only_while_configured(detector):
    text = "Recommend books by Ottilie Brandvold for a beginner."
    assert found(detector, text) == {}
    config = dataclasses.replace(ScrubberConfig.load(), public_figure_topics=())
    assert found(Detector(config), text) == {"Ottilie Brandvold": "PERSON"}


def test_the_privacy_doc_shows_the_committed_evaluation_results():
    assert doc_is_current(), "run python -m pipelines.privacy.evaluate --baseline"


def test_the_dataset_card_says_that_public_figures_are_kept():
    config = ScrubberConfig.load()
    policy = privacy_policy(DEFAULT_CONFIG_PATH)
    assert config.public_figure_topics and config.public_figures
    assert policy["public_figure_topics"] == list(config.public_figure_topics)
    assert policy["public_figures"] == len(config.public_figures)
    assert "ID_NUMBER" in policy["replaced"]
