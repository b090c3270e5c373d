"""The detector's shortcuts change its speed, never its findings.

`Detector(config)` skips what cannot change a finding (patterns that can never reach their type's
minimum score, patterns and recognizers on texts that lack what every match of them holds, the
registry's choice of recognizers made once); `Detector(config, shortcuts=False)` runs Presidio's
analyzer the way Presidio does, every pattern on every text.
Both run here on real texts: chat turns from ShareGPT when ../shared/realdata is there, and the
labeled sets the project keeps (names, identifiers and look-alikes, self-statements).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from presidio_analyzer import PatternRecognizer
from spacy.language import Language
from spacy.tokens import Doc

from pipelines.privacy.analyzer import best_score
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.detector import Detector
from pipelines.privacy.evaluate import LABELED, load_corpus
from tests.realdata import SHAREGPT, sharegpt_user_turns

# Enough real chat turns to meet code, tables, numbers, links and names of every kind.
REAL_TURNS = 400
# Invented texts at the edge: weak patterns that only their context words lift to the minimum
# score ("ssn: 219099999" is a US_SSN at 0.4), next to ones that stay below it.
AT_THE_EDGE = [
    "My passport number is 912803456 and it expires next May.",
    "Please wire it to bank account 000123456789 at the branch downtown.",
    "my social security number is 078 05 1120, do not share it",
    "ssn: 219099999",
    "Driver license: 12345678, issued in Ohio.",
    "Her PAN card number is ABCDE1234F.",
    "The passport no. on file is 123456789 (UK passport).",
    "SIN 046 454 286 for the Canadian tax form",
    "carta d'identità numero AA1234567",
    "Aadhaar 2345 6789 0123 was printed on the form",
    "License DEA AB1234563 belongs to the doctor",
    "ITIN 912-90-3456 for my tax return",
]


class _DocsOnce:
    """One spaCy pipeline for both detectors, each text's Doc made once. The shortcuts are in the
    analyzer and its recognizers, after NER, so both detectors read the same Docs either way."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.docs: dict[str, Doc] = {}

    def pipe(self, texts: Iterable[str], batch_size: int) -> list[Doc]:
        texts = list(texts)
        new = [text for text in dict.fromkeys(texts) if text not in self.docs]
        self.docs.update(zip(new, self.nlp.pipe(new, batch_size=batch_size), strict=True))
        return [self.docs[text] for text in texts]

    def make_doc(self, text: str) -> Doc:
        return self.nlp.make_doc(text)


@pytest.fixture(scope="module")
def detectors() -> Iterator[tuple[Detector, Detector]]:
    config = ScrubberConfig.load()
    fast, exhaustive = Detector.shared(config), Detector(config, shortcuts=False)
    docs = _DocsOnce(fast.nlp)
    with pytest.MonkeyPatch.context() as patch:
        for detector in (fast, exhaustive):
            patch.setattr(detector, "nlp", docs)
        yield fast, exhaustive


def _assert_same_findings(texts: list[str], detectors: tuple[Detector, Detector]) -> None:
    fast, exhaustive = detectors
    for start in range(0, len(texts), Detector.BATCH_SIZE):
        batch = texts[start : start + Detector.BATCH_SIZE]
        for offset, (found, expected) in enumerate(
            zip(fast.detect(batch), exhaustive.detect(batch), strict=True)
        ):
            # The text's index only: the findings of a real text are not printed.
            assert found == expected, f"text {start + offset}: findings differ"


@pytest.mark.parametrize(
    "labeled_set", ["identifier_codes.txt", "false_names.txt", "quasi_identifiers.txt"]
)
def test_the_shortcuts_find_what_presidio_finds_on_the_labeled_sets(detectors, labeled_set):
    texts = [record.text for record in load_corpus(LABELED / labeled_set)]
    assert texts
    _assert_same_findings(texts, detectors)


def test_the_shortcuts_find_what_presidio_finds_where_context_words_decide(detectors):
    fast, exhaustive = detectors
    expected = exhaustive.detect(AT_THE_EDGE)
    assert any(f.entity_type == "US_SSN" for found in expected for f in found)
    assert fast.detect(AT_THE_EDGE) == expected


@pytest.mark.skipif(not SHAREGPT.exists(), reason="../shared/realdata/sharegpt-1000 not present")
def test_the_shortcuts_find_what_presidio_finds_in_real_chat_turns(detectors):
    texts = sharegpt_user_turns(REAL_TURNS)
    assert len(texts) == REAL_TURNS
    _assert_same_findings(texts, detectors)


def test_only_patterns_that_cannot_reach_their_minimum_score_are_left_out(detectors):
    fast, exhaustive = detectors
    enhancer = exhaustive.analyzer.context_aware_enhancer
    thresholds = exhaustive.config.entities
    left_out = []
    for kept, full in zip(
        fast.analyzer.registry.recognizers, exhaustive.analyzer.registry.recognizers, strict=True
    ):
        if not isinstance(full, PatternRecognizer):
            continue
        names = {pattern.name for pattern in kept.patterns}
        for pattern in full.patterns:
            if pattern.name in names:
                continue
            left_out.append((full.name, pattern.name))
            best = best_score(pattern.score, bool(full.context), enhancer)
            assert best < thresholds[full.supported_entities[0]], (full.name, pattern.name)
            assert full.supported_entities != ["PERSON"]
    # Presidio's "very weak" patterns: "PAN (Low)" alone is a tenth of the analyzer's time on chat.
    assert ("InPanRecognizer", "PAN (Low)") in left_out
    # A recognizer that validates keeps its weak patterns: a valid checksum scores 1.0.
    assert not any(name in {"CreditCardRecognizer", "IbanRecognizer"} for name, _ in left_out)
