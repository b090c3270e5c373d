"""A pattern is skipped on a text only where it cannot match: what `regex_gates` reads from a
pattern holds for every match of it, on invented patterns, on every character case-insensitive
matching folds, and on the detector's own patterns over real texts."""

from __future__ import annotations

import re
import string

import pytest
import regex

from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.detector import Detector
from pipelines.privacy.evaluate import LABELED, load_corpus
from pipelines.privacy.findings import mask_code_blocks
from pipelines.privacy.name_context import INTRODUCED, NAMED_BY_CONTEXT
from pipelines.privacy.quasi_identifiers import _patterns
from pipelines.privacy.regex_gates import (
    DIGIT,
    FOLD,
    Gates,
    fold,
    longest_digit_run,
    requirements,
)
from pipelines.privacy.shortcut_analyzer import _gate, _plain
from tests.realdata import SHAREGPT, sharegpt_user_turns


def may_match(text: str, requirement: tuple[frozenset[str], ...]) -> bool:
    """The meaning of a requirement, read one atom at a time: the reference `Gates` must give."""

    def holds(atom: str) -> bool:
        if atom[0] == "#":
            return longest_digit_run(text) >= int(atom[1:])
        return atom[1:] in (text if atom[0] == "=" else fold(text))

    return all(any(map(holds, choices)) for choices in requirement)


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        (r"\b\d{3}-\d{2}-\d{4}\b", True),
        (r"(?:[A-Z]{2}\d{7}|\d{9})", True),
        (r"[A-Z]{5}(?=\d)", True),
        (r"a?[0-9]", True),
        (r"\d*x", False),
        (r"(?:\d{4}|[A-Z]{4})", False),
        (r"[0-9a]+", False),
        (r"[^0-9]+", False),
        (r"(?!\d)\w+", False),
        (r"\d(?V1)", False),
    ],
)
def test_a_digit_is_required_only_if_every_match_holds_one(pattern, needs):
    runs = [s for s in requirements(pattern, 0) if len(s) == 1 and next(iter(s))[0] == "#"]
    assert bool(runs) is needs


@pytest.mark.parametrize(
    ("pattern", "run", "matched"),
    [
        (r"\b\d{3}-\d{2}-\d{4}\b", 4, "ssn 078-05-1120."),
        (r"\b[0-9]{9}\b", 9, "passport 912803456"),
        (r"\d{2,4}\d", 3, "room 101"),
        (r"(?:\d{5}|[A-Z]\d{8})", 5, "zip 98101"),
        (r"\d\d?\d", 1, "12"),
    ],
)
def test_the_longest_run_of_digits_every_match_holds_is_required(pattern, run, matched):
    required = requirements(pattern, 0)
    assert frozenset({f"#{run}"}) in required
    assert re.search(pattern, matched)
    assert may_match(matched, required)
    shorter = re.sub(r"\d+", lambda m: m.group()[: run - 1] or "x", matched)
    assert not may_match(shorter, required)
    assert DIGIT == "#1"


@pytest.mark.parametrize(
    ("pattern", "flags", "required"),
    [
        # Words spelled out, as written or in lower case where case is ignored.
        (r"\bcorner\s+of\s+\w+", 0, {frozenset({"=corner"})}),
        (r"(?i:\bzip(?:\s?code)?)\s*(\d{5})", 0, {frozenset({"~zip"}), frozenset({"#5"})}),
        (r"Street|Avenue", re.IGNORECASE, {frozenset({"~street", "~avenue"})}),
        # A lookbehind's word is in the text too; `\K` is read through.
        (r"(?<=\bat\s)\K[A-Z]\w+ Road", 0, {frozenset({"= Road"})}),
        (r"@[a-z]+", 0, {frozenset({"=@"})}),
    ],
)
def test_words_and_signs_every_match_holds_are_required(pattern, flags, required):
    assert required <= set(requirements(pattern, flags))


@pytest.mark.parametrize(
    "pattern",
    [
        r"live|\w+",  # one branch requires nothing
        r"(?!corner)\w+",  # a negative lookahead requires nothing
        r"(?:street)?\s\w",  # nor an optional group
        r"(?:avenue){e<=1}",  # fuzzy matching (`regex` only): "avnue" matches
        r"[[:alpha:]]+street",  # a POSIX class (`regex` only)
        r"(?f)strasse",  # full case folding: "straße" matches
        r"\p{Lu}street",  # a syntax the standard parser does not read
    ],
)
def test_what_the_standard_parser_may_misread_or_nothing_requires_is_not_a_requirement(pattern):
    required = requirements(pattern, 0)
    assert not any(
        atom in {"=street", "=avenue", "~strasse", "=corner"} for s in required for atom in s
    )


def test_flags_only_regex_knows_give_no_requirement():
    assert requirements("street", regex.FULLCASE | regex.IGNORECASE) == ()
    assert requirements("street", regex.VERSION1) == ()


def test_case_insensitive_words_are_found_through_every_character_that_folds_to_their_letters():
    # Every code point that either engine matches to an ASCII letter, ignoring case, reads as that
    # letter once folded: "\u212a" (Kelvin) as "k", "\u017f" (long s) as "s", "İ" and "ı" as "i".
    every = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))
    for engine in (re, regex):
        for letter in string.ascii_letters:
            for match in engine.finditer(letter, every, engine.IGNORECASE):
                assert match.group().translate(FOLD).lower() == letter.lower(), (
                    engine.__name__,
                    hex(ord(match.group())),
                )
    assert may_match("ſtreet İD", (frozenset({"~street"}), frozenset({"~id"})))


@pytest.fixture(scope="module")
def gated_patterns() -> list[tuple[str, int, list]]:
    """Every pattern the detector skips on some texts, compiled by each engine that reads it."""
    detector = Detector(ScrubberConfig.load())
    patterns = [(p.pattern, p.flags) for _, _, p in _patterns()]
    patterns += [(p.pattern, p.flags) for p in INTRODUCED + NAMED_BY_CONTEXT]
    for recognizer in detector.analyzer.registry.recognizers:
        if _plain(recognizer):
            flags = recognizer.global_regex_flags
            patterns += [(pattern.regex, flags) for pattern in recognizer.patterns]
        elif _gate(recognizer) is not None:
            patterns += recognizer.gate_patterns()
    compiled = []
    for pattern, flags in patterns:
        engines = []
        for engine in (re, regex):
            try:
                engines.append(engine.compile(pattern, flags))
            except Exception:  # noqa: BLE001 (a syntax of the other engine)
                continue
        compiled.append((pattern, flags, engines))
    return compiled


def _texts() -> list[str]:
    texts = [
        record.text
        for name in ("identifier_codes.txt", "false_names.txt", "quasi_identifiers.txt")
        for record in load_corpus(LABELED / name)
    ]
    if SHAREGPT.exists():
        texts += [mask_code_blocks(text) for text in sharegpt_user_turns(400)]
    return texts


def test_gates_tell_what_each_requirement_read_alone_tells(gated_patterns):
    required = [requirements(pattern, flags) for pattern, flags, _ in gated_patterns]
    gates = Gates(required)
    for text in _texts()[:200] + ["ſtreet İD", "12345 Main St", ""]:
        met = gates.met(text)
        assert [met[gates.index[r]] for r in required] == [may_match(text, r) for r in required]


def test_no_pattern_of_the_detector_matches_a_text_it_is_skipped_on(gated_patterns):
    texts = _texts()
    required = [requirements(pattern, flags) for pattern, flags, _ in gated_patterns]
    gates = Gates(required)
    met = [gates.met(text) for text in texts]
    skipped = 0
    for (pattern, _, engines), requirement in zip(gated_patterns, required, strict=True):
        for text, held in zip(texts, met, strict=True):
            if not held[gates.index[requirement]]:
                skipped += 1
                # The pattern only: real texts are not printed.
                assert not any(engine.search(text) for engine in engines), pattern[:60]
    # Most patterns are skipped on most texts.
    assert skipped > len(texts) * len(gated_patterns) // 2
