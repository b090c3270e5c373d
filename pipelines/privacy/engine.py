"""The detector: Presidio's analyzer with an NER-only spaCy pipeline, our recognizers and filters.

`Detector.detect` takes a batch of texts and returns, per text, the spans to scrub. It runs spaCy
over the whole batch with `nlp.pipe` (NER only: no tagger, parser or lemmatizer), hands each
document to Presidio's `AnalyzerEngine.analyze` as precomputed NLP artifacts, then drops Presidio's
known false positives. `DetectorPool` spreads batches over worker processes, each of which loads
the engine once.
"""

from __future__ import annotations

import logging
import multiprocessing
import re
import signal
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer import predefined_recognizers as presidio_recognizers
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    CryptoRecognizer,
    IbanRecognizer,
    MacAddressRecognizer,
    MedicalLicenseRecognizer,
    SpacyRecognizer,
)
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc

from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.recognizers import (
    FastPhoneRecognizer,
    GivenNameRecognizer,
    HandleRecognizer,
    OfflineEmailRecognizer,
    PersonalUrlRecognizer,
    PlatformIdRecognizer,
    PublicIpRecognizer,
    SecretRecognizer,
    StreetAddressRecognizer,
    card_number_recognizer,
    driver_license_recognizer,
    given_names,
    introduced_name_recognizer,
    is_english_word,
    lead_in_name_recognizers,
    postcode_recognizer,
)

logger = logging.getLogger(__name__)

Route = Literal["full", "patterns"]

ENGLISH_NAMES = {"english", "en"}


def is_english(language: str | None) -> bool:
    """WildChat names languages ("English"), other sources use codes ("en", "en-US")."""
    if not language:
        return True
    value = language.strip().lower()
    return value in ENGLISH_NAMES or value.startswith("en-") or value.startswith("en_")


@dataclass(frozen=True, order=True)
class Finding:
    """One span to scrub: character offsets into the text and the entity type."""

    start: int
    end: int
    entity_type: str
    score: float


# Fenced code blocks, closed or running to the end of the text.
CODE_BLOCK = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
# A name is letters, with spaces, hyphens, apostrophes and initials' dots between them.
NAME_SHAPE = re.compile(r"^[^\W\d_]+(?:(?:[ '’\-]|\. ?)[^\W\d_]+)*\.?$")
# What stands right before a version number that looks like an IP address.
VERSION_PREFIX = re.compile(r"(?:\bv|version\s*|==|>=|<=|~=|@|python\s*)$", re.IGNORECASE)
POSSESSIVE = re.compile(r"['’]s$")
NAME_WORD = re.compile(r"[^\W\d_]+")
IGNORE_CASE = re.DOTALL | re.MULTILINE | re.IGNORECASE


class NerOnlySpacyEngine(SpacyNlpEngine):
    """Presidio's spaCy engine with only the NER component loaded.

    `en_core_web_sm` gives NER its own embedding layer, so the shared tok2vec, tagger, parser,
    attribute ruler and lemmatizer can all be left out. Presidio's context words are matched
    against lemmas; the lower-cased token stands in for them.
    """

    def load(self) -> None:
        self.nlp = {}
        for model in self.models:
            nlp = spacy.load(model["model_name"], enable=["ner"])
            nlp.max_length = 2_000_000
            self.nlp[model["lang_code"]] = nlp
            # Every label the model has that is not mapped to PERSON is dropped, silently.
            mapped = self.ner_model_configuration.model_to_presidio_entity_mapping
            ignored = set(self.ner_model_configuration.labels_to_ignore)
            ignored |= {label for label in nlp.get_pipe("ner").labels if label not in mapped}
            self.ner_model_configuration.labels_to_ignore = sorted(ignored)

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        artifacts = super()._doc_to_nlp_artifact(doc, language)
        artifacts.lemmas = [token.lower_ for token in doc]
        # The keywords must come from these stand-in lemmas: built from the empty lemmas of a
        # pipeline without lemmatizer, they are empty and no context word ever raises a score.
        # Presidio tests `lemma in keywords` for every word near every finding: on a list, that
        # is quadratic in the text's length (most of Presidio's time on long messages).
        artifacts.keywords = set(NlpArtifacts.set_keywords(self, artifacts.lemmas, language))
        return artifacts


def ner_configuration(nlp_configuration: dict | None = None) -> NerModelConfiguration:
    """NER labels mapped to PERSON only, whatever an NLP configuration dict says.

    A configuration built from a dict without `labels_to_ignore` falls back to Presidio's defaults
    and brings ORGANIZATION, NRP and DATE_TIME back; here every label but the person labels is
    ignored, and the analyzer is asked only for the configured entity types anyway.
    """
    given = (nlp_configuration or {}).get("ner_model_configuration") or {}
    configuration = NerModelConfiguration(**given)
    person_labels = {"PERSON", "PER"}
    mapping = {label: "PERSON" for label in person_labels}
    ignored = {
        label
        for label in {*configuration.model_to_presidio_entity_mapping,
                      *configuration.model_to_presidio_entity_mapping.values(),
                      *configuration.labels_to_ignore}
        if label not in person_labels
    }
    return NerModelConfiguration(
        **{
            **given,
            "model_to_presidio_entity_mapping": mapping,
            "labels_to_ignore": sorted(ignored),
            "low_score_entity_names": [],
        }
    )


def build_analyzer(config: ScrubberConfig, nlp_configuration: dict | None = None) -> AnalyzerEngine:
    """The analyzer: our recognizers and Presidio's, for the configured entity types only."""
    models = (nlp_configuration or {}).get("models") or [
        {"lang_code": config.language, "model_name": config.spacy_model}
    ]
    nlp_engine = NerOnlySpacyEngine(models=models, ner_model_configuration=ner_configuration(
        nlp_configuration))
    nlp_engine.load()
    language = config.language
    registry = RecognizerRegistry(supported_languages=[language])
    recognizers = [
        SpacyRecognizer(supported_language=language, supported_entities=["PERSON"]),
        GivenNameRecognizer(supported_language=language),
        OfflineEmailRecognizer(supported_language=language),
        FastPhoneRecognizer(supported_language=language),
        PublicIpRecognizer(supported_language=language),
        PersonalUrlRecognizer(supported_language=language),
        StreetAddressRecognizer(supported_language=language),
        PlatformIdRecognizer(supported_language=language),
        HandleRecognizer(supported_language=language),
        SecretRecognizer(supported_language=language),
        introduced_name_recognizer(language),
        *lead_in_name_recognizers(language),
        card_number_recognizer(language),
        driver_license_recognizer(language),
        postcode_recognizer(language),
        CreditCardRecognizer(supported_language=language),
        # IBANs are typed in lower case too; Presidio's own registry matches them so.
        IbanRecognizer(supported_language=language, regex_flags=IGNORE_CASE),
        CryptoRecognizer(supported_language=language),
        MacAddressRecognizer(supported_language=language),
        MedicalLicenseRecognizer(supported_language=language),
    ]
    for name in config.national_id_recognizers:
        recognizer_class = getattr(presidio_recognizers, name, None)
        if recognizer_class is None:
            raise ValueError(f"scrubber configuration: Presidio has no recognizer {name!r}")
        recognizers.append(recognizer_class(supported_language=language))
    for recognizer in recognizers:
        unconfigured = set(recognizer.supported_entities) - set(config.entities)
        if unconfigured:
            raise ValueError(
                f"scrubber configuration: {recognizer.name} finds {sorted(unconfigured)}, "
                "which `entities` does not list (give it a minimum score)"
            )
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(
        registry=registry, nlp_engine=nlp_engine, supported_languages=[language]
    )


class Detector:
    """Finds what to scrub in texts; one per process (see `Detector.shared`)."""

    BATCH_SIZE = 64

    def __init__(self, config: ScrubberConfig, nlp_configuration: dict | None = None):
        self.config = config
        self.analyzer = build_analyzer(config, nlp_configuration)
        self.nlp_engine: NerOnlySpacyEngine = self.analyzer.nlp_engine  # type: ignore[assignment]
        self.nlp = self.nlp_engine.nlp[config.language]
        self.entities = sorted(config.entities)
        self.code_entities = sorted(set(config.code_block_entities) & set(config.entities))
        self.min_score = min(config.entities.values())
        self.allowed = {term.casefold() for term in config.allow_list}
        self.public_figures = {name.casefold() for name in config.public_figures}
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

    def detect(self, texts: Sequence[str], routes: Sequence[Route] | None = None
               ) -> list[list[Finding]]:
        """Findings per text; `routes` says per text whether NER runs ("full") or not."""
        routes = routes or ["full"] * len(texts)
        masked = [_mask_code_blocks(text) for text in texts]
        language = self.config.language
        ner_indexes = [i for i, route in enumerate(routes) if route == "full"]
        docs: dict[int, Doc] = dict(
            zip(ner_indexes,
                self.nlp.pipe((masked[i] for i in ner_indexes), batch_size=self.BATCH_SIZE),
                strict=True)
        )
        results = []
        for index, text in enumerate(texts):
            doc = docs.get(index) or self.nlp.make_doc(masked[index])
            artifacts = self.nlp_engine._doc_to_nlp_artifact(doc, language)
            found = self.analyzer.analyze(
                masked[index], language, entities=self.entities, nlp_artifacts=artifacts,
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
            text, self.config.language, entities=self.code_entities,
            nlp_artifacts=self.nlp_engine._doc_to_nlp_artifact(self.nlp.make_doc(text),
                                                               self.config.language),
            score_threshold=self.min_score,
        )
        return [r for r in found if any(s <= r.start and r.end <= e for s, e in blocks)]

    def _clean(self, text: str, results: Iterable[RecognizerResult]) -> list[Finding]:
        kept = []
        for result in results:
            entity_type = result.entity_type
            if result.score < self.config.entities.get(entity_type, 2.0):
                continue
            if entity_type in TRIMMED:
                result.start, result.end = _trim(text, result.start, result.end, entity_type)
            elif entity_type == "PERSON":
                result.end = _first_line_end(text, result.start, result.end)
            value = text[result.start : result.end]
            if not value or value.strip().casefold() in self.allowed:
                continue
            if entity_type == "PERSON" and not self._is_private_name(value, result):
                continue
            if entity_type == "IP_ADDRESS" and _looks_like_version(text, result.start, result.end):
                continue
            kept.append(Finding(result.start, result.end, entity_type, round(result.score, 4)))
        if self.deny:
            kept += [Finding(m.start(), m.end(), "PERSON", 1.0) for m in self.deny.finditer(text)]
        return resolve_overlaps(kept + self._repeated_names(text, kept))

    def _repeated_names(self, text: str, kept: list[Finding]) -> list[Finding]:
        """Other mentions of a found name's words: "Joakim Westgård ... starring Westgård".

        Only words that are no English word (in any case) are looked for again, so "Will Smith"
        does not take every "will" of the text with it.
        """
        words = {
            word.casefold()
            for finding in kept if finding.entity_type == "PERSON"
            for word in NAME_WORD.findall(POSSESSIVE.sub("", text[finding.start : finding.end]))
            if len(word) >= 3 and not is_english_word(word.casefold())
            and word.casefold() not in self.public_figures
        }
        if not words:
            return []
        pattern = re.compile(
            r"(?<![\w'’-])(?:" + "|".join(map(re.escape, sorted(words))) + r")(?![\w-])",
            re.IGNORECASE)
        return [Finding(m.start(), m.end(), "PERSON", self.min_score)
                for m in pattern.finditer(_mask_code_blocks(text))]

    def _is_private_name(self, value: str, result: RecognizerResult) -> bool:
        """A person's name in shape, and not a configured public figure or fictional character.

        A name in lower case is taken from the gazetteer, which checks it against English words,
        or from the NER model when it starts with a given name and some word of it is no English
        word ("silvana", "lena andersson"); the model's other lower-case "persons" are mostly
        common words.
        """
        name = POSSESSIVE.sub("", value.strip())
        gazetteer = (result.recognition_metadata or {}).get(
            RecognizerResult.RECOGNIZER_NAME_KEY) == GivenNameRecognizer.NAME
        if not NAME_SHAPE.match(name) or not (
                gazetteer or any(c.isupper() for c in name) or _given_name_first(name)):
            return False
        return name.casefold() not in self.public_figures


def _given_name_first(name: str) -> bool:
    """A lower-case name that starts with a given name and has a word no dictionary knows."""
    keys = [word.casefold() for word in NAME_WORD.findall(name)]
    return (bool(keys) and keys[0] in given_names()[0] and keys[0] not in STOP_WORDS
            and any(len(key) > 2 and not is_english_word(key) for key in keys))


TRIMMED = {"URL", "EMAIL_ADDRESS"}
# Presidio's e-mail pattern admits quotes and "=" in the local part: `email='bob@x.org`.
EMAIL_LEAD = re.compile(r"^.*[='\"`:(<\[]")


def _trim(text: str, start: int, end: int, entity_type: str) -> tuple[int, int]:
    """A URL without the sentence's closing punctuation; an e-mail without an assignment."""
    while end > start and text[end - 1] in ".,;:!?'\")]":
        end -= 1
    if entity_type == "EMAIL_ADDRESS":
        at = text.find("@", start, end)
        lead = EMAIL_LEAD.match(text[start:at]) if at > start else None
        if lead:
            start += lead.end()
    return start, end


def _first_line_end(text: str, start: int, end: int) -> int:
    """A name ends at its line: the NER model runs "Lena Wirth\nAddress" together."""
    newline = text.find("\n", start, end)
    end = newline if newline > start else end
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _mask_code_blocks(text: str) -> str:
    """The text with fenced code blocks blanked out (same length, so offsets hold)."""
    if "```" not in text:
        return text
    return CODE_BLOCK.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def _looks_like_version(text: str, start: int, end: int) -> bool:
    """ "v1.2.3.4", "version 10.0.0.1", "pkg==2.0.1.0", or one piece of a longer dotted number."""
    before = text[max(0, start - 12) : start]
    after = text[end : end + 2]
    return bool(VERSION_PREFIX.search(before)) or bool(re.match(r"\.\d", after)) or (
        before.endswith(".") and before[-2:-1].isdigit()
    )


# When two findings overlap, the more specific type wins (an e-mail over the URL inside it).
TYPE_PRIORITY = {"SECRET": 5, "EMAIL_ADDRESS": 4, "URL": 1, "PERSON": 2, "STREET_ADDRESS": 3}


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Merge overlapping findings into one span, typed by the most specific member."""
    merged: list[Finding] = []
    for finding in sorted(findings):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            winner = max(
                (last, finding),
                key=lambda f: (TYPE_PRIORITY.get(f.entity_type, 3), f.score, f.end - f.start),
            )
            merged[-1] = Finding(
                last.start, max(last.end, finding.end), winner.entity_type,
                max(last.score, finding.score),
            )
        else:
            merged.append(finding)
    return merged


_DETECTORS: dict[str, Detector] = {}

# Worker processes: each loads its detector once, in its initializer.
_WORKER_CONFIG: ScrubberConfig | None = None


def _init_worker(config: ScrubberConfig) -> None:
    global _WORKER_CONFIG
    # A parent that ignores SIGTERM (nohup, some schedulers) would pass that on, and a broken
    # pool, which stops its workers with SIGTERM, would then wait for them for ever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER_CONFIG = config
    Detector.shared(config)


def _detect_chunk(chunk: tuple[list[str], list[Route]]) -> list[list[Finding]]:
    assert _WORKER_CONFIG is not None
    texts, routes = chunk
    return Detector.shared(_WORKER_CONFIG).detect(texts, routes)


class DetectorWorkerError(RuntimeError):
    """A detector worker process stopped abruptly: killed, out of memory, or failed to start."""


class DetectorPool:
    """The detector in `workers` processes (in this process when 1), started on first use and
    kept until the block ends, so a drop scrubbed batch by batch loads spaCy once per worker.

    A worker that dies or cannot load its model breaks the pool, which raises DetectorWorkerError
    instead of waiting for an answer that never comes. At most two chunks per worker are in
    flight, so a long stream of texts is never queued whole."""

    def __init__(self, config: ScrubberConfig, workers: int = 2, chunk_size: int = 128):
        self.config = config
        self.workers = workers
        self.chunk_size = chunk_size
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> DetectorPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def detect(self, items: Sequence[tuple[str, Route]]) -> list[list[Finding]]:
        """Findings per text of a bounded batch, in order; chunks sized to keep workers busy."""
        size = max(1, min(self.chunk_size, -(-len(items) // (2 * max(self.workers, 1)))))
        return list(self.stream(items, size))

    def stream(self, items: Iterable[tuple[str, Route]], chunk_size: int | None = None
               ) -> Iterator[list[Finding]]:
        chunks = _chunks(items, chunk_size or self.chunk_size)
        if self.workers <= 1:
            detector = Detector.shared(self.config)
            for texts, routes in chunks:
                yield from detector.detect(texts, routes)
            return
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.config,),
            )
        in_flight: deque[Future[list[list[Finding]]]] = deque()
        try:
            for chunk in chunks:
                in_flight.append(self._executor.submit(_detect_chunk, chunk))
                if len(in_flight) >= 2 * self.workers:
                    yield from in_flight.popleft().result()
            while in_flight:
                yield from in_flight.popleft().result()
        except BrokenProcessPool as error:
            raise DetectorWorkerError(
                "a detector worker process stopped abruptly (killed, out of memory, or failed "
                "to load the spaCy model; its own error, if any, is in the log above)"
            ) from error


def detect_parallel(
    config: ScrubberConfig,
    items: Iterable[tuple[str, Route]],
    workers: int = 2,
    chunk_size: int = 128,
) -> Iterator[list[Finding]]:
    """Findings per text, in order, from `workers` processes (in this process when 1)."""
    with DetectorPool(config, workers, chunk_size) as pool:
        yield from pool.stream(items)


def _chunks(items: Iterable[tuple[str, Route]], size: int
            ) -> Iterator[tuple[list[str], list[Route]]]:
    texts: list[str] = []
    routes: list[Route] = []
    for text, route in items:
        texts.append(text)
        routes.append(route)
        if len(texts) >= size:
            yield texts, routes
            texts, routes = [], []
    if texts:
        yield texts, routes


def default_detector(config_path: Path | None = None) -> Detector:
    return Detector.shared(ScrubberConfig.load(config_path))
