"""The two shapes our recognizers take: declared patterns, and a value captured after its
lead-in words.
"""

from __future__ import annotations

import re

from presidio_analyzer import (
    AnalysisExplanation,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts


class DeclaredPatternRecognizer(PatternRecognizer):
    """A pattern recognizer declared by its class attributes: entity, patterns, context words."""

    ENTITY: str
    PATTERNS: list[Pattern]
    CONTEXT: list[str] | None = None
    REGEX_FLAGS = re.MULTILINE

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entity=self.ENTITY,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=supported_language,
            name=type(self).__name__,
            global_regex_flags=self.REGEX_FLAGS,
        )


class CapturedRecognizer(LocalRecognizer):
    """A value that only its lead-in words reveal: the regex's group 1 is the finding."""

    def __init__(
        self, entity: str, name: str, regex: str, score: float, supported_language: str = "en"
    ):
        self.regex = re.compile(regex)
        self.score = score
        super().__init__(
            supported_entities=[entity], supported_language=supported_language, name=name
        )

    def load(self) -> None:
        pass

    def gate_patterns(self) -> list[tuple[str, int]]:
        """The regexes every finding comes from: a text none of them can match has none."""
        return [(self.regex.pattern, self.regex.flags)]

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        return [
            RecognizerResult(
                self.supported_entities[0],
                m.start(1),
                m.end(1),
                self.score,
                AnalysisExplanation(self.name, self.score, textual_explanation=self.name),
                {
                    RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for m in self.regex.finditer(text)
        ]
