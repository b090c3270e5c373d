"""Presidio's analyzer for the detector's one kind of request, without the work whose outcome is
known in advance; it returns the same findings as `AnalyzerEngine.analyze`
(tests/privacy/test_detector_shortcuts.py compares both on real texts).

The detector asks for given entity types, on precomputed NLP artifacts, with one score
threshold, and wants no decision process. For that request `ShortcutAnalyzerEngine`:

- runs each plain pattern recognizer's patterns directly (`pattern_results`), without Presidio's
  per-pattern timing and debug log (two clock readings per pattern per text), and not at all
  the patterns that cannot match a text without a digit when it has none (most national
  identifiers, house numbers);
- hands a recognizer its own findings for its context step only when it has a context step of its
  own; the others return them unchanged, and Presidio sorts every finding out once per recognizer;
- gives the context words' step only the findings whose recognizer has context words (Presidio
  copies every finding and skips the others), and finds a finding's token by bisection.

Any other request goes to Presidio's own `analyze`.
"""

from __future__ import annotations

import bisect
import re._constants as sre
import re._parser as sre_parser
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import regex
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.pattern_recognizer import REGEX_TIMEOUT_SECONDS

ID_KEY = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
NAME_KEY = RecognizerResult.RECOGNIZER_NAME_KEY
BOOSTED_KEY = RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY
DIGITS = frozenset("0123456789")
# A digit as Presidio's regex engine reads `\d` (any decimal digit of Unicode): a text without
# one has no match of a pattern that needs a digit (`needs_digit`).
DIGIT = regex.compile(r"\d")
# Plans kept at a time: one per distinct request, and a registry that made a new list for every
# request would otherwise grow them without end.
MAX_PLANS = 8


def pattern_results(
    recognizer: PatternRecognizer, text: str, has_digit: bool = True
) -> list[RecognizerResult]:
    """What `PatternRecognizer.analyze` finds in `text`: each pattern's matches, validated and
    invalidated by the recognizer, scored, then its duplicates removed (Presidio's
    `__analyze_patterns`, without timing each pattern). A text without a digit (`has_digit`)
    skips the patterns that cannot match without one (`needs_digit`)."""
    flags = recognizer.global_regex_flags
    entity = recognizer.supported_entities[0]
    validate, invalidate = recognizer.validate_result, recognizer.invalidate_result
    metadata = {NAME_KEY: recognizer.name, ID_KEY: recognizer.id}
    results = []
    for pattern in recognizer.patterns:
        if not has_digit and needs_digit(pattern.regex, flags):
            continue
        if not pattern.compiled_regex or pattern.compiled_with_flags != flags:
            pattern.compiled_with_flags = flags
            pattern.compiled_regex = regex.compile(pattern.regex, flags=flags)
        try:
            for match in pattern.compiled_regex.finditer(text, timeout=REGEX_TIMEOUT_SECONDS):
                start, end = match.span()
                if start == end:
                    continue
                value = text[start:end]
                validation = validate(value)
                explanation = recognizer.build_regex_explanation(
                    recognizer.name, pattern.name, pattern.regex, pattern.score, validation, flags
                )
                result = RecognizerResult(
                    entity_type=entity,
                    start=start,
                    end=end,
                    score=pattern.score,
                    analysis_explanation=explanation,
                    recognition_metadata=dict(metadata),
                )
                if validation is not None:
                    result.score = (
                        EntityRecognizer.MAX_SCORE if validation else EntityRecognizer.MIN_SCORE
                    )
                if invalidate(value):
                    result.score = EntityRecognizer.MIN_SCORE
                if result.score > EntityRecognizer.MIN_SCORE:
                    results.append(result)
                explanation.score = result.score
        except TimeoutError:
            # Presidio skips the rest of a pattern that times out (and logs it); so does this.
            continue
    return EntityRecognizer.remove_duplicates(results) if results else results


@cache
def needs_digit(pattern: str, flags: int) -> bool:
    """Whether every match of the regex holds a digit, or asserts one around it: then a text
    without a digit has no match. Read from the regex's parse tree (the standard library's
    parser; a regex it cannot read is taken to need none)."""
    if flags & regex.VERSION1:  # set operations the standard parser reads otherwise
        return False
    try:
        return _needs_digit(sre_parser.parse(pattern, flags & ~sre.SRE_FLAG_DEBUG))
    except Exception:  # noqa: BLE001 (syntax of the `regex` module only: no shortcut)
        return False


def _needs_digit(sequence: object) -> bool:
    """Some item of the sequence always matches a digit (see `needs_digit`)."""
    for op, argument in sequence:  # type: ignore[attr-defined]
        if op is sre.LITERAL and chr(argument) in DIGITS:
            return True
        if op is sre.IN and _all_digits(argument):
            return True
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, _, repeated = argument
            if low >= 1 and _needs_digit(repeated):
                return True
        if op is sre.SUBPATTERN and _needs_digit(argument[-1]):
            return True
        if op is sre.ATOMIC_GROUP and _needs_digit(argument):
            return True
        if op is sre.BRANCH and all(_needs_digit(branch) for branch in argument[1]):
            return True
        # A lookahead or lookbehind that must match: the digit is in the text, if not the match.
        if op is sre.ASSERT and _needs_digit(argument[1]):
            return True
    return False


def _all_digits(items: list) -> bool:
    """A character class of digits only: `[0-9]`, `\\d`, `[0-5]`, `[13579]`."""
    return bool(items) and all(
        (op is sre.LITERAL and chr(argument) in DIGITS)
        or (op is sre.RANGE and ord("0") <= argument[0] and argument[1] <= ord("9"))
        or (op is sre.CATEGORY and argument is sre.CATEGORY_DIGIT)
        for op, argument in items
    )


Run = Callable[[str, list[str], NlpArtifacts, bool], list[RecognizerResult]]


def _runner(recognizer: EntityRecognizer) -> Run:
    """How the engine runs a recognizer: a plain pattern recognizer (one whose `analyze` is
    Presidio's) by `pattern_results`, any other by its own `analyze`."""
    if isinstance(recognizer, PatternRecognizer) and (
        type(recognizer).analyze is PatternRecognizer.analyze
    ):
        if not recognizer.patterns:
            return lambda text, entities, artifacts, has_digit: []
        return lambda text, entities, artifacts, has_digit: pattern_results(
            recognizer, text, has_digit
        )
    return lambda text, entities, artifacts, has_digit: recognizer.analyze(
        text=text, entities=entities, nlp_artifacts=artifacts
    )


@dataclass
class _Plan:
    """The registry's recognizers for a request, with what the engine needs of each."""

    recognizers: list[EntityRecognizer]
    runs: list[Run]
    ids: list[str]
    # Recognizers with a context step of their own (not Presidio's default, which changes
    # nothing), by position.
    own_context_step: list[bool]
    # Ids of the recognizers that have context words.
    with_words: frozenset[str]

    @classmethod
    def of(cls, recognizers: list[EntityRecognizer]) -> _Plan:
        default = EntityRecognizer.enhance_using_context
        return cls(
            recognizers,
            [_runner(r) for r in recognizers],
            [r.id for r in recognizers],
            [type(r).enhance_using_context is not default for r in recognizers],
            frozenset(r.id for r in recognizers if r.context),
        )


class BisectingContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's context-word step, which finds a finding's token by bisection on the tokens'
    offsets instead of walking the tokens from the first."""

    @staticmethod
    def _find_index_of_match_token(
        word: str, start: int, tokens: object, tokens_indices: list[int]
    ) -> int:
        # Presidio takes the first token that starts at the finding or ends after its start.
        # Tokens are in order, never empty and never overlap, so that is the last token starting
        # at or before the finding if it reaches past the start, else the one after it.
        index = bisect.bisect_right(tokens_indices, start) - 1
        if index >= 0 and start >= tokens_indices[index] + len(tokens[index]):  # type: ignore[index]
            index += 1
        index = max(index, 0)
        if index >= len(tokens_indices):
            raise ValueError(f"no token at offset {start} although one is expected")
        return index


class ShortcutAnalyzerEngine(AnalyzerEngine):
    """`AnalyzerEngine` with the shortcuts of the module docstring for the detector's request."""

    def analyze(  # type: ignore[override]
        self,
        text: str,
        language: str,
        entities: list[str] | None = None,
        correlation_id: str | None = None,
        score_threshold: float | None = None,
        return_decision_process: bool | None = False,
        ad_hoc_recognizers: list[EntityRecognizer] | None = None,
        context: list[str] | None = None,
        allow_list: list[str] | None = None,
        allow_list_match: str | None = "exact",
        regex_flags: int | None = None,
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        if (
            not entities
            or nlp_artifacts is None
            or score_threshold is None
            or return_decision_process
            or ad_hoc_recognizers
            or context
            or allow_list
            or self.log_decision_process
        ):
            return super().analyze(
                text,
                language,
                entities,
                correlation_id,
                score_threshold,
                return_decision_process,
                ad_hoc_recognizers,
                context,
                allow_list,
                allow_list_match,
                **({"regex_flags": regex_flags} if regex_flags is not None else {}),
                nlp_artifacts=nlp_artifacts,
            )
        plan = self._plan(
            self.registry.get_recognizers(language=language, entities=entities, all_fields=False)
        )
        results: list[RecognizerResult] = []
        has_digit = DIGIT.search(text) is not None
        for recognizer, run in zip(plan.recognizers, plan.runs, strict=True):
            if not recognizer.is_loaded:
                recognizer.load()
                recognizer.is_loaded = True
            found = run(text, entities, nlp_artifacts, has_digit)
            if found:
                for result in found:
                    if not result.recognition_metadata:
                        result.recognition_metadata = {}
                    result.recognition_metadata.setdefault(ID_KEY, recognizer.id)
                    result.recognition_metadata.setdefault(NAME_KEY, recognizer.name)
                results.extend(found)
        if results:
            results = self._with_context(text, results, nlp_artifacts, plan)
        results = [result for result in results if result.score >= score_threshold]
        results = EntityRecognizer.remove_duplicates(results)
        for result in results:
            result.analysis_explanation = None
        return results

    def _plan(self, recognizers: list[EntityRecognizer]) -> _Plan:
        """The plan of the registry's list, kept while the registry returns that same list (it
        does for the same request: the detector's, and its request for code blocks)."""
        plans: dict[int, _Plan] = self.__dict__.setdefault("_plans", {})
        plan = plans.get(id(recognizers))
        if plan is None or plan.recognizers is not recognizers:
            if len(plans) >= MAX_PLANS:
                plans.clear()
            plan = plans[id(recognizers)] = _Plan.of(recognizers)
        return plan

    def _with_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        plan: _Plan,
    ) -> list[RecognizerResult]:
        """Presidio's `_enhance_using_context`: each recognizer's own context step, in the
        recognizers' order, then the context words of the text."""
        by_id: dict[str, list[RecognizerResult]] = {}
        for result in raw_results:
            by_id.setdefault(result.recognition_metadata[ID_KEY], []).append(result)
        results: list[RecognizerResult] = []
        for recognizer, recognizer_id, own_step in zip(
            plan.recognizers, plan.ids, plan.own_context_step, strict=True
        ):
            own = by_id.get(recognizer_id, [])
            if not own_step:
                results.extend(own)
                continue
            others = [r for r in raw_results if r.recognition_metadata[ID_KEY] != recognizer_id]
            results.extend(
                recognizer.enhance_using_context(
                    text=text,
                    raw_recognizer_results=own,
                    other_raw_recognizer_results=others,
                    nlp_artifacts=nlp_artifacts,
                    context=None,
                )
            )
        wanted = [
            index
            for index, result in enumerate(results)
            if result.recognition_metadata
            and result.recognition_metadata.get(ID_KEY) in plan.with_words
            and not result.recognition_metadata.get(BOOSTED_KEY)
        ]
        if wanted:
            enhanced = self.context_aware_enhancer.enhance_using_context(
                text=text,
                raw_results=[results[index] for index in wanted],
                nlp_artifacts=nlp_artifacts,
                recognizers=plan.recognizers,
                context=None,
            )
            for index, result in zip(wanted, enhanced, strict=True):
                results[index] = result
        return results
