"""Person names from the gazetteer of given names: capitalized, with their surnames, and in
lower case (`name_rules`).
"""

from __future__ import annotations

import re

from presidio_analyzer import (
    AnalysisExplanation,
    LocalRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from pipelines.privacy.recognizers.name_rules import (
    NAME_WORD,
    SURNAME_ENDING,
    LowerCaseNames,
    mid_sentence,
    place_spans,
)
from pipelines.privacy.recognizers.words import (
    CYRILLIC_WORD,
    NAME_ENDS,
    NAME_PARTICLES,
    english_words,
    given_names,
    is_english_word,
    is_given_name,
)


class GivenNameRecognizer(LocalRecognizer):
    """A capitalized given name and the surname that follows: "Faina D. Yefremova".

    The small spaCy model calls many names of non-English origin ORG or GPE, or misses them; a
    gazetteer of given names from many countries finds them. A lone given name that is also a
    common word ("Will", "Grace") counts only mid-sentence or with a surname after it.

    Names written in Cyrillic count when a Latin spelling of theirs is in the gazetteer ("Коля",
    Kolya), mid-sentence only.

    Chat is often typed in lower case: a given name that is no English word followed by a word that
    is none either ("lena andersson") is a name too, and so is every name of a series in which
    most words are given names ("they had 3: silvana, adam and caleb").
    """

    NAME = "GivenNameRecognizer"
    SCORE = 0.6
    LONE_SCORE = 0.55

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entities=["PERSON"], supported_language=supported_language, name=self.NAME
        )

    def load(self) -> None:
        self.names, self.popular = given_names()
        self.words = english_words()
        self.lower_case = LowerCaseNames(self.names, self.popular)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        words = list(NAME_WORD.finditer(text))
        places = place_spans(text, nlp_artifacts, self.popular)
        results = [
            self._result(start, end, self.LONE_SCORE)
            for start, end in self.lower_case.series(text, places)
            + self.lower_case.introduced(text)
        ]
        results += [self._result(s, e, self.LONE_SCORE) for s, e in self._cyrillic(text)]
        index = 0
        while index < len(words):
            word = words[index].group()
            key = word.casefold()
            if word.islower():
                last = self.lower_case.surname(text, words, index)
                if last > index:
                    results.append(
                        self._result(words[index].start(), words[last].end(), self.LONE_SCORE)
                    )
                index = last + 1
                continue
            if not (
                word[0].isupper()
                and not word[1:].isupper()
                and key in self.names
                and key not in STOP_WORDS
            ):
                last = self._unknown_name(text, words, index, places)
                if last is not None:
                    results.append(
                        self._result(words[index].start(), words[last].end(), self.LONE_SCORE)
                    )
                index = index + 1 if last is None else last + 1
                continue
            last = self._extend(text, words, index)
            start, end = words[index].start(), words[last].end()
            if last > index:
                results.append(self._result(start, end, self.SCORE))
            elif self._lone_name(text, word, start, end, places) and not self._names_a_thing(
                text, words, index
            ):
                results.append(self._result(start, end, self.LONE_SCORE))
            index = last + 1
        return results

    def _unknown_name(
        self, text: str, words: list[re.Match], index: int, places: list[tuple[int, int]]
    ) -> int | None:
        """The last word of a name the gazetteer lacks, or None.

        Two capitalized words that no dictionary knows ("Wisława Szczepańska", "Csanád P Gere"),
        or one with a surname's ending ("Sokolov", "Šušulić").
        """
        if not self._unknown_word(words[index], places):
            return None
        following = index + 1
        if (
            following + 1 < len(words)
            and len(words[following].group()) == 1
            and words[following].group().isupper()
            and text[words[index].end() : words[following].start()] == " "
        ):
            following += 1
        if (
            following < len(words)
            and text[words[following - 1].end() : words[following].start()] in (" ", ". ")
            and (following > index + 1 or text[words[index].end()] == " ")
            and self._unknown_word(words[following], places)
            and not self._names_a_thing(text, words, following)
        ):
            return following
        word = words[index].group()
        if (
            len(word) >= 5
            and SURNAME_ENDING.search(word)
            and not self._names_a_thing(text, words, index)
        ):
            return index
        return None

    @staticmethod
    def _cyrillic(text: str) -> list[tuple[int, int]]:
        """Given names written in Cyrillic mid-sentence ("Сегодня Коля"), with a capitalized word
        right after them ("Коля Петров")."""
        spans = []
        for match in CYRILLIC_WORD.finditer(text):
            if not mid_sentence(text, match.start()) or not is_given_name(match.group().casefold()):
                continue
            surname = CYRILLIC_WORD.match(text, match.end() + 1)
            end = surname.end() if surname and text[match.end()] == " " else match.end()
            spans.append((match.start(), end))
        return spans

    @staticmethod
    def _unknown_word(word: re.Match, places: list[tuple[int, int]]) -> bool:
        """A capitalized word (not an acronym, no inner capital) that no dictionary knows."""
        text, key = word.group(), word.group().casefold()
        return (
            len(text) >= 2
            and text[0].isupper()
            and text[1:].islower()
            and key not in STOP_WORDS
            and key not in NAME_ENDS
            and not is_english_word(key)
            and not any(s <= word.start() and word.end() <= e for s, e in places)
        )

    def _extend(self, text: str, words: list[re.Match], index: int) -> int:
        """The index of the name's last word: surnames, initials and particles after the first."""
        last = index
        while last + 1 < len(words):
            gap = text[words[last].end() : words[last + 1].start()]
            if gap not in (" ", ". ") or (gap == ". " and len(words[last].group()) > 1):
                break
            following = words[last + 1].group()
            if (
                following in NAME_PARTICLES
                and last + 2 < len(words)
                and words[last + 2].group()[0].isupper()
                and text[words[last + 1].end() : words[last + 2].start()] == " "
            ):
                last += 2
            elif (
                following[0].isupper()
                and following.casefold() not in STOP_WORDS
                and following.casefold() not in NAME_ENDS
            ):
                last += 1
            else:
                break
        return last

    def _lone_name(
        self, text: str, word: str, start: int, end: int, places: list[tuple[int, int]]
    ) -> bool:
        """A lone given name: not a place, and not a word unless a popular name mid-sentence."""
        key = word.casefold()
        if len(word) < 3 or any(s <= start and end <= e for s, e in places):
            return False
        if key not in self.words:
            return True
        return key in self.popular and mid_sentence(text, start)

    @staticmethod
    def _names_a_thing(text: str, words: list[re.Match], index: int) -> bool:
        """ "Hope Street", "Julia Ltd": the name of a street or a company, not a person."""
        return (
            index + 1 < len(words)
            and words[index + 1].group().casefold() in NAME_ENDS
            and text[words[index].end() : words[index + 1].start()] == " "
        )

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult(
            "PERSON",
            start,
            end,
            score,
            AnalysisExplanation(self.name, score, textual_explanation="given name"),
            {
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )
