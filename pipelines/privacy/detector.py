"""The detector of one process: Presidio's analyzer with an NER-only spaCy pipeline, our
recognizers and filters.

`Detector.detect` takes a batch of texts and returns, per text, the spans to scrub. It runs spaCy
over the whole batch with `nlp.pipe` (NER only: no tagger, parser or lemmatizer), hands each
document to Presidio's `AnalyzerEngine.analyze` as precomputed NLP artifacts (`analyzer`), then
drops Presidio's known false positives (`false_names`, `findings`) and merges what overlaps.
`detection_cluster.DetectionCluster` spreads batches over the workers of a Dask cluster, each of
which loads the engine once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from presidio_analyzer import RecognizerResult
from spacy.tokens import Doc

from pipelines.privacy.analyzer import NerOnlySpacyEngine, build_analyzer
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.false_names import (
    LEAD_IN_RECOGNIZERS,
    NAME_SHAPE,
    NAME_WORD,
    POSSESSIVE,
    given_name_first,
    name_span,
    names_a_thing,
    reads_as_code,
    recognizer_name,
)
from pipelines.privacy.findings import (
    CODE_BLOCK,
    TRIMMED,
    Finding,
    Route,
    looks_like_version,
    mask_code_blocks,
    resolve_overlaps,
    trim,
)
from pipelines.privacy.name_context import (
    names_in_context,
    reads_as_name,
    repeated_name_patterns,
    user_folders,
)
from pipelines.privacy.name_evidence import listed_in_text, public_names
from pipelines.privacy.recognizers import GivenNameRecognizer


class Detector:
    """Finds what to scrub in texts; one per process (see `Detector.shared`)."""

    BATCH_SIZE = 64

    def __init__(
        self,
        config: ScrubberConfig,
        nlp_configuration: dict | None = None,
        shortcuts: bool = True,
    ):
        self.config = config
        # `shortcuts=False`: Presidio's own way, every pattern on every text (`analyzer`).
        self.analyzer = build_analyzer(config, nlp_configuration, shortcuts)
        self.nlp_engine: NerOnlySpacyEngine = self.analyzer.nlp_engine  # type: ignore[assignment]
        self.nlp = self.nlp_engine.nlp[config.language]
        self.entities = sorted(config.entities)
        self.code_entities = sorted(set(config.code_block_entities) & set(config.entities))
        self.min_score = min(config.entities.values())
        self.allowed = _phrases(config.allow_list)
        self.longest_allowed = max(map(len, config.allow_list), default=0)
        self.public_figures = frozenset(name.casefold() for name in config.public_figures)
        self.public_topic = (
            # "paintings of Claude Monet and Edgar Degas": the second name is a topic too.
            re.compile(
                r"(?<!\w)(?i:"
                + "|".join(map(re.escape, config.public_figure_topics))
                + r")\s+(?:[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3},?\s+"
                r"(?:and|or|&)\s+)?$"
            )
            if config.public_figure_topics
            else None
        )
        self.deny = (
            re.compile(
                r"\b(?:" + "|".join(re.escape(t) for t in config.deny_list) + r")\b",
                re.IGNORECASE,
            )
            if config.deny_list
            else None
        )

    @classmethod
    def shared(cls, config: ScrubberConfig) -> Detector:
        """The process's detector for this configuration, loaded on first use."""
        if config.version not in _DETECTORS:
            _DETECTORS[config.version] = cls(config)
        return _DETECTORS[config.version]

    def detect(
        self, texts: Sequence[str], routes: Sequence[Route] | None = None
    ) -> list[list[Finding]]:
        """Findings per text; `routes` says per text whether NER runs ("full") or not."""
        routes = routes or ["full"] * len(texts)
        masked = [mask_code_blocks(text) for text in texts]
        language = self.config.language
        ner_indexes = [i for i, route in enumerate(routes) if route == "full"]
        docs: dict[int, Doc] = dict(
            zip(
                ner_indexes,
                self.nlp.pipe((masked[i] for i in ner_indexes), batch_size=self.BATCH_SIZE),
                strict=True,
            )
        )
        results = []
        for index, text in enumerate(texts):
            doc = docs.get(index) or self.nlp.make_doc(masked[index])
            artifacts = self.nlp_engine._doc_to_nlp_artifact(doc, language)
            found = self.analyzer.analyze(
                masked[index],
                language,
                entities=self.entities,
                nlp_artifacts=artifacts,
                score_threshold=self.min_score,
            )
            if masked[index] is not text:
                found += self._in_code_blocks(text)
            results.append(self._clean(text, found))
        return results

    def _in_code_blocks(self, text: str) -> list[RecognizerResult]:
        if not self.code_entities:
            return []
        blocks = [match.span() for match in CODE_BLOCK.finditer(text)]
        found = self.analyzer.analyze(
            text,
            self.config.language,
            entities=self.code_entities,
            nlp_artifacts=self.nlp_engine._doc_to_nlp_artifact(
                self.nlp.make_doc(text), self.config.language
            ),
            score_threshold=self.min_score,
        )
        return [r for r in found if any(s <= r.start and r.end <= e for s, e in blocks)]

    def _clean(self, text: str, results: Iterable[RecognizerResult]) -> list[Finding]:
        kept = []
        results = list(results)
        public = (
            self.public_figures
            | public_names(text, results)
            | listed_in_text(text, self.public_figures)
        )
        for result in results:
            entity_type = result.entity_type
            if result.score < self.config.entities.get(entity_type, 2.0):
                continue
            if entity_type in TRIMMED:
                result.start, result.end = trim(text, result.start, result.end, entity_type)
            elif entity_type == "PERSON":
                result.start, result.end = name_span(text, result.start, result.end)
            value = text[result.start : result.end]
            if not value or self._allowed(text, result.start, result.end):
                continue
            if entity_type == "PERSON" and not self._is_private_name(text, result, public):
                continue
            if entity_type == "IP_ADDRESS" and looks_like_version(text, result.start, result.end):
                continue
            kept.append(Finding(result.start, result.end, entity_type, round(result.score, 4)))
        if self.deny:
            kept += [Finding(m.start(), m.end(), "PERSON", 1.0) for m in self.deny.finditer(text)]
        # Names the words around them give away, and the other mentions of every name found
        # (`name_context`), outside the allow list's phrases.
        persons = [(f.start, f.end) for f in kept if f.entity_type == "PERSON"]
        masked = mask_code_blocks(text)
        spans = names_in_context(masked, persons, lambda w: reads_as_name(w, public))
        persons += spans
        patterns = repeated_name_patterns([text[s:e] for s, e in persons], public)
        spans += [m.span() for pattern in patterns for m in pattern.finditer(masked)]
        kept += [
            Finding(start, end, "PERSON", self.min_score)
            for start, end in spans
            if not self._allowed(text, start, end)
        ]
        kept += [Finding(s, e, "USERNAME", self.min_score) for s, e in user_folders(masked)]
        return resolve_overlaps(kept)

    def _allowed(self, text: str, start: int, end: int) -> bool:
        """Inside an occurrence of an allow-list phrase: "Jones" of "Dow Jones"."""
        if not self.allowed:
            return False
        window = text[max(0, start - self.longest_allowed) : end + self.longest_allowed]
        offset = max(0, start - self.longest_allowed)
        return any(
            m.start() + offset <= start and end <= m.end() + offset
            for m in self.allowed.finditer(window)
        )

    def _is_private_name(self, text: str, result: RecognizerResult, public: set[str]) -> bool:
        """A person's name in shape, not a public figure, and not the name of a thing.

        A name in lower case is taken from the gazetteer, which checks it against English words,
        or from the NER model when it starts with a given name and some word of it is no English
        word ("silvana", "lena andersson"); the model's other lower-case "persons" are mostly
        common words. A public figure is one `public_figures` lists or one named as the topic of
        a request (`public_figure_topics`: "books by Stephen King"). A word in capitals or with
        a capital inside ("JSON", "PyTorch", not "McDonald") is no name. A name announced by a
        lead-in ("my name is", "my boss") is a person's; any other must not read as a place,
        work, product, employer or phrase (`names_a_thing`). `public`: the names kept in this text
        (`public_figures`, and those `name_evidence.public_names` finds).
        """
        name = POSSESSIVE.sub("", text[result.start : result.end].strip())
        recognizer = recognizer_name(result)
        if not NAME_SHAPE.match(name) or not (
            recognizer == GivenNameRecognizer.NAME
            or any(c.isupper() for c in name)
            or given_name_first(name)
        ):
            return False
        if name.casefold() in public or (
            self.public_topic
            and self.public_topic.search(text[max(0, result.start - 40) : result.start])
        ):
            return False
        if reads_as_code(NAME_WORD.findall(name)):
            return False
        return recognizer in LEAD_IN_RECOGNIZERS or not names_a_thing(
            text, result.start, result.end, name, recognizer
        )


def _phrases(phrases: Sequence[str]) -> re.Pattern[str] | None:
    """Any of the phrases as whole words, case-insensitively."""
    if not phrases:
        return None
    return re.compile(
        r"(?<!\w)(?:"
        + "|".join(map(re.escape, sorted(phrases, key=len, reverse=True)))
        + r")(?!\w)",
        re.IGNORECASE,
    )


_DETECTORS: dict[str, Detector] = {}


def default_detector(config_path: Path | None = None) -> Detector:
    return Detector.shared(ScrubberConfig.load(config_path))
