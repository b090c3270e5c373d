"""Presidio's analyzer for the detector's one kind of request, without the work whose outcome is
known in advance; it returns the same findings as `AnalyzerEngine.analyze`
(tests/privacy/test_detector_shortcuts.py compares both on real texts).

The detector asks for given entity types, on precomputed NLP artifacts, with one score
threshold, and wants no decision process. For that request `ShortcutAnalyzerEngine`:

- runs each plain pattern recognizer's patterns directly (`pattern_results`), without Presidio's
  per-pattern timing and debug log (two clock readings per pattern per text);
- does not run a pattern on a text that lacks what every match of it holds (a digit, for most
  national identifiers and house numbers; a word of its own, "Street", "corner", "zip"; read
  from the pattern by `regex_gates`), nor a recognizer none of whose patterns can match: a plain
  pattern recognizer, or one whose `gate_patterns()` names the patterns its findings come from;
- hands a recognizer its own findings for its context step only when it has a context step of its
  own; the others return them unchanged, and Presidio sorts every finding out once per recognizer;
- gives the context words' step only the findings whose recognizer has context words (Presidio
  copies every finding and skips the others), and finds a finding's token by bisection.

Any other request goes to Presidio's own `analyze`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

import regex
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.pattern_recognizer import REGEX_TIMEOUT_SECONDS

from pipelines.privacy.regex_gates import Gates, Requirement, requirements

ID_KEY = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
NAME_KEY = RecognizerResult.RECOGNIZER_NAME_KEY
BOOSTED_KEY = RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY
# Plans kept at a time: one per distinct request, and a registry that made a new list for every
# request would otherwise grow them without end.
MAX_PLANS = 8


def pattern_results(
    recognizer: PatternRecognizer, text: str, patterns: list[Pattern] | None = None
) -> list[RecognizerResult]:
    """What `PatternRecognizer.analyze` finds in `text`: each pattern's matches, validated and
    invalidated by the recognizer, scored, then its duplicates removed (Presidio's
    `__analyze_patterns`, without timing each pattern). `patterns`: those of the recognizer's
    patterns that may match the text (`_Plan`); by default, all."""
    flags = recognizer.global_regex_flags
    entity = recognizer.supported_entities[0]
    validate, invalidate = recognizer.validate_result, recognizer.invalidate_result
    metadata = {NAME_KEY: recognizer.name, ID_KEY: recognizer.id}
    results = []
    for pattern in recognizer.patterns if patterns is None else patterns:
        _compile(pattern, flags)
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


def _compile(pattern: Pattern, flags: int) -> None:
    """The pattern compiled with the recognizer's flags, as Presidio compiles it."""
    if not pattern.compiled_regex or pattern.compiled_with_flags != flags:
        pattern.compiled_with_flags = flags
        pattern.compiled_regex = regex.compile(pattern.regex, flags=flags)


Run = Callable[[str, list[str], NlpArtifacts, list[Pattern] | None], list[RecognizerResult]]


def _runner(recognizer: EntityRecognizer) -> Run:
    """How the engine runs a recognizer: a plain pattern recognizer (one whose `analyze` is
    Presidio's) by `pattern_results`, on the patterns that may match, any other by its own
    `analyze`."""
    if _plain(recognizer):
        return lambda text, entities, artifacts, patterns: pattern_results(
            recognizer,  # type: ignore[arg-type]
            text,
            patterns,
        )
    return lambda text, entities, artifacts, patterns: recognizer.analyze(
        text=text, entities=entities, nlp_artifacts=artifacts
    )


def _plain(recognizer: EntityRecognizer) -> bool:
    return (
        isinstance(recognizer, PatternRecognizer)
        and type(recognizer).analyze is PatternRecognizer.analyze
    )


Gate = list[tuple[Requirement, Pattern | None]]


def _gate(recognizer: EntityRecognizer) -> Gate | None:
    """What a text must hold for the recognizer to find anything in it: what one of its patterns
    requires (`regex_gates`), each requirement with the pattern it is for. A plain pattern
    recognizer finds only its patterns' matches, and runs only the patterns that may match; any
    other is gated only by the patterns its `gate_patterns()` names, those that every finding
    of it comes from (then no pattern is given). None: the recognizer runs on every text."""
    if _plain(recognizer):
        flags = recognizer.global_regex_flags  # type: ignore[attr-defined]
        gate: Gate = []
        for pattern in recognizer.patterns:  # type: ignore[attr-defined]
            _compile(pattern, flags)
            gate.append((requirements(pattern.regex, flags), pattern))
    elif hasattr(recognizer, "gate_patterns"):
        gate = [(requirements(p, flags), None) for p, flags in recognizer.gate_patterns()]
    else:
        return None
    return gate if all(required for required, _ in gate) else None


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
    # Per recognizer, what a text must hold for it to run (`_gate`), each requirement by its
    # index in `requirements`; None: every text.
    gates: list[list[tuple[int, Pattern | None]] | None]
    requirements: Gates

    @classmethod
    def of(cls, recognizers: list[EntityRecognizer]) -> _Plan:
        default = EntityRecognizer.enhance_using_context
        gates = [_gate(r) for r in recognizers]
        needs = Gates(required for gate in gates if gate for required, _ in gate)
        return cls(
            recognizers,
            [_runner(r) for r in recognizers],
            [r.id for r in recognizers],
            [type(r).enhance_using_context is not default for r in recognizers],
            frozenset(r.id for r in recognizers if r.context),
            [
                None
                if gate is None
                else [(needs.index[required], pattern) for required, pattern in gate]
                for gate in gates
            ],
            needs,
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
        met = plan.requirements.met(text)
        for recognizer, run, gate in zip(plan.recognizers, plan.runs, plan.gates, strict=True):
            patterns = None
            if gate is not None:
                patterns = [pattern for index, pattern in gate if met[index]]
                if not patterns:
                    continue
                if patterns[0] is None:  # gated, not a plain pattern recognizer: all of it
                    patterns = None
            if not recognizer.is_loaded:
                recognizer.load()
                recognizer.is_loaded = True
            found = run(text, entities, nlp_artifacts, patterns)
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
