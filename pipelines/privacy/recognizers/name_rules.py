"""The given-name gazetteer's rules: where a capitalized name is a place instead, and the names
chat types in lower case (after a self-introduction, a given name with its surname, a series).
"""

from __future__ import annotations

import re

from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from pipelines.privacy.recognizers.words import (
    TRAVEL,
    foreign_stop_words,
    is_english_word,
    sentence_around,
)

# A word of a name: Latin letters (the gazetteer's script), with inner apostrophes and hyphens
# ("O'Brien", "Evans-Bonilla"); a name written against other scripts is a word too ("我叫Priya").
_LATIN = "A-Za-z\u00c0-\u024f"
# A possessive "'s" is not part of the word ("Amanda's daughter").
NAME_WORD = re.compile(rf"[{_LATIN}]+(?:['’\-](?!s\b)[{_LATIN}]+)*")
# Three or more single words in a series: "Efimiya, Mary, Ariana and Jodi", "Kye,Liam and Jo".
_SERIES = re.compile(rf"\b[{_LATIN}]+(?:, ?[{_LATIN}]+)+,? (?:and|&|or) [{_LATIN}]+\b")
# What ends the text before a sentence: a capitalized common word after it is no evidence.
_SENTENCE_BREAKS = '.!?:;\n"“(>-*•'
# spaCy labels under which a lone given name is more likely a place or a people ("Georgia").
_PLACE_LABELS = {"GPE", "LOC", "FAC", "NORP", "LANGUAGE"}
# The small spaCy model calls many popular names places ("Why is Rebecca so impulsive?"): a
# popular name is a place only after a word that introduces one ("in Georgia", "to Austin").
_PLACE_LEAD = re.compile(
    r"(?i:\b(?:in|at|from|to|near|into|across|around|of|visit(?:ed|ing)?|via|toward|towards)\s+)$"
)
# Endings of surnames from many countries: "Sokolov", "Šušulić", "Ásgeirsdóttir", "Andersson".
SURNAME_ENDING = re.compile(
    r"(?:ov|ova|ev|eva|ovich|evich|ović|vić|ić|ič|ski|ska|sky|skaya|cki|cka|enko|escu|oglu|oğlu"
    r"|dóttir|dottir|sson|poulos|akis|idis|chuk|[aeiu]\w{2,}ez)$"
)
_COORDINATION = re.compile(r",\s*|\s+(?:and|or|&|from|to|near)\s+")
# Lead-ins after which even a lower-case word is a name: "my name is vitoria", "a boy named
# robo".
_INTRODUCTION = re.compile(
    r"(?i:\bmy (?:first |last |maiden )?name(?: is|'s|’s)|\bi am called|\bi['’]m called"
    r"|\b(?:people|everyone|everybody|they|friends) call(?:s)? me|\bsurname is"
    r"|\b(?:boy|girl|man|woman|kid|child|guy|lady|person|character|son|daughter)"
    r" (?:named|called))\s+"
)


def place_spans(
    text: str, nlp_artifacts: NlpArtifacts | None, popular: frozenset[str]
) -> list[tuple[int, int]]:
    """What the NER model calls a place. A popular given name mid-sentence is one only after
    "in", "to"..., next to another place ("Georgia and Jordan") or among travel words ("Is
    Madison a good city?")."""
    if nlp_artifacts is None or nlp_artifacts.tokens is None:
        return []
    places = [e for e in nlp_artifacts.tokens.ents if e.label_ in _PLACE_LABELS]
    kept = []
    for index, place in enumerate(places):
        start, end = place.start_char, place.end_char
        neighbours = [text[p.end_char : start] for p in places[:index]] + [
            text[end : p.start_char] for p in places[index + 1 :]
        ]
        if (
            place.text.casefold() not in popular
            or not mid_sentence(text, start)
            or _PLACE_LEAD.search(text[max(0, start - 20) : start])
            or any(_COORDINATION.fullmatch(gap) for gap in neighbours)
            or TRAVEL.search(sentence_around(text, start, end))
        ):
            kept.append((start, end))
    return kept


def mid_sentence(text: str, start: int) -> bool:
    """Some word of the same sentence stands before `start`."""
    before = text[max(0, start - 40) : start].rstrip(" \t")
    return bool(before) and before[-1] not in _SENTENCE_BREAKS


class LowerCaseNames:
    """Names typed in lower case, which only the gazetteer, not capitals, tells from words."""

    def __init__(self, names: frozenset[str], popular: frozenset[str]):
        self.names = names
        self.popular = popular

    def introduced(self, text: str) -> list[tuple[int, int]]:
        """A lower-case name after a self-introduction: "my name is borna jerković"."""
        spans = []
        for lead in _INTRODUCTION.finditer(text):
            words: list[re.Match] = []
            for word in NAME_WORD.finditer(text, lead.end()):
                key = word.group().casefold()
                if words:
                    gap = text[words[-1].end() : word.start()]
                    named = len(key) == 1 or not (key in STOP_WORDS or is_english_word(key))
                    if len(words) == 3 or gap not in (" ", ". ") or not named:
                        break
                elif (
                    word.start() != lead.end()
                    or not word.group().islower()
                    or len(key) < 2
                    or key in STOP_WORDS
                    or (is_english_word(key) and key not in self.names)
                ):
                    break
                words.append(word)
            while len(words) > 1 and len(words[-1].group()) == 1:
                words.pop()
            if words:
                spans.append((words[0].start(), words[-1].end()))
        return spans

    def surname(self, text: str, words: list[re.Match], index: int) -> int:
        """The index of a lower-case name's surname ("eva kleist", "benjamin a seiler"), if any."""
        if not self.foreign_name(words[index].group()):
            return index
        last = index + 1
        if (
            last + 1 < len(words)
            and len(words[last].group()) == 1
            and text[words[index].end() : words[last].start()] == " "
        ):
            last += 1
        if last >= len(words) or text[words[last - 1].end() : words[last].start()] not in (
            " ",
            ". ",
        ):
            return index
        surname = words[last].group()
        key = surname.casefold()
        if not surname.islower() or len(surname) < 2 or key in STOP_WORDS or is_english_word(key):
            return index
        return last

    def foreign_name(self, word: str) -> bool:
        """A given name that no English word or stop word shares: "silvana", not "will", nor
        "una" ("necesito una carta")."""
        key = word.casefold()
        return (
            len(word) >= 3
            and key in self.names
            and key not in STOP_WORDS
            and key not in foreign_stop_words()
            and not is_english_word(key)
        )

    def series(self, text: str, places: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The names of a series in which most words are given names, or all are capitalized
        words no dictionary knows and one is a name ("Kónya, Becker and Vasquez"); not the words
        the NER model calls places, and no name of a short series with a place in it."""
        spans = []
        for series in _SERIES.finditer(text):
            items = [
                w for w in NAME_WORD.finditer(series.group()) if w.group() not in ("and", "or")
            ]
            names = sum(
                self.foreign_name(w.group()) or w.group().casefold() in self.popular for w in items
            )
            surnames = sum(bool(SURNAME_ENDING.search(w.group())) for w in items)
            unknown = all(
                w.group()[0].isupper()
                and (
                    w.group().casefold() in self.names
                    or not (
                        w.group().casefold() in STOP_WORDS or is_english_word(w.group().casefold())
                    )
                )
                for w in items
            )
            placed = {
                item.start()
                for item in items
                if any(
                    s < series.start() + item.end() and series.start() + item.start() < e
                    for s, e in places
                )
            }
            # A place or two in a long series of names is the NER model's mistake; more, and the
            # series is one of places ("Georgia, Madison and Austin").
            if (names * 2 < len(items) and not (unknown and names + surnames)) or (
                placed and (len(items) < 6 or len(placed) * 4 > len(items))
            ):
                continue
            foreign = any(self.foreign_name(w.group()) for w in items)
            for item in items:
                key = item.group().casefold()
                # With a name that is no word in the series, a popular given name is one even
                # when a word too ("silvana, kristina, chad"; not "will, grace and hope").
                named = self.foreign_name(item.group()) or (
                    foreign and key in self.popular and key not in STOP_WORDS and len(key) > 2
                )
                word = key in STOP_WORDS or is_english_word(key)
                if named or (item.start() not in placed and not word):
                    start = series.start() + item.start()
                    spans.append((start, start + len(item.group())))
        return spans
