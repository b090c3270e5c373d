"""Presidio's analyzer as the detector builds it: an NER-only spaCy pipeline, our recognizers and
Presidio's, for the configured entity types only.

With `shortcuts` (the default) it skips work whose outcome is known in advance, and finds exactly
what it finds without them (tests/privacy/test_detector_shortcuts.py compares both on real
texts): patterns whose findings can never reach their type's minimum score are not run, the
registry's choice of recognizers, the same for every text, is made once, and the per-token lists
that only context words need are made only for the texts that need them.
"""

from __future__ import annotations

import re
from functools import cached_property

import spacy
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    PatternRecognizer,
    RecognizerRegistry,
)
from presidio_analyzer import predefined_recognizers as presidio_recognizers
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    CryptoRecognizer,
    IbanRecognizer,
    MacAddressRecognizer,
    MedicalLicenseRecognizer,
    SpacyRecognizer,
)
from spacy.language import Language
from spacy.pipeline.tok2vec import Tok2VecListener
from spacy.tokens import Doc

from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.quasi_identifiers import quasi_identifier_recognizers
from pipelines.privacy.recognizers import (
    FastPhoneRecognizer,
    GivenNameRecognizer,
    HandleRecognizer,
    IdentifierRecognizer,
    OfflineEmailRecognizer,
    PersonalUrlRecognizer,
    PlatformIdRecognizer,
    PublicIpRecognizer,
    SecretRecognizer,
    StreetAddressRecognizer,
    card_number_recognizer,
    driver_license_recognizer,
    introduced_name_recognizer,
    lead_in_name_recognizers,
    postcode_recognizer,
)
from pipelines.privacy.shortcut_analyzer import BisectingContextEnhancer, ShortcutAnalyzerEngine

IGNORE_CASE = re.DOTALL | re.MULTILINE | re.IGNORECASE


class NerOnlySpacyEngine(SpacyNlpEngine):
    """Presidio's spaCy engine with only the NER component loaded.

    `en_core_web_sm` gives NER its own embedding layer, so the shared tok2vec, tagger, parser,
    attribute ruler and lemmatizer are not even loaded (`ner_only`). Presidio's context words are
    matched against lemmas; the lower-cased token stands in for them.
    """

    def load(self) -> None:
        self.nlp = {}
        for model in self.models:
            nlp = ner_only(model["model_name"])
            nlp.max_length = 2_000_000
            self.nlp[model["lang_code"]] = nlp
            # Every label the model has that is not mapped to PERSON is dropped, silently.
            mapped = self.ner_model_configuration.model_to_presidio_entity_mapping
            ignored = set(self.ner_model_configuration.labels_to_ignore)
            ignored |= {label for label in nlp.get_pipe("ner").labels if label not in mapped}
            self.ner_model_configuration.labels_to_ignore = sorted(ignored)

    # Lemmas, token offsets and keywords made when first read (`TokenListsOnDemand`); False:
    # made for every text, as Presidio does.
    lists_on_demand = True

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        if self.lists_on_demand:
            entities, scores = self._get_updated_entities(
                self._get_entities(doc), self._get_scores_for_entities(doc)
            )
            return TokenListsOnDemand(entities, doc, self, language, scores)
        artifacts = super()._doc_to_nlp_artifact(doc, language)
        artifacts.lemmas = stand_in_lemmas(doc)
        artifacts.keywords = keywords(self, artifacts.lemmas, language)
        return artifacts


# spaCy's components that NER does without when it has its own embedding layer: not loaded at
# all (their weights are most of a model's loading time), rather than loaded and disabled.
NOT_NER = (
    "tok2vec",
    "tagger",
    "morphologizer",
    "parser",
    "senter",
    "attribute_ruler",
    "lemmatizer",
    "trainable_lemmatizer",
)


def ner_only(model_name: str) -> Language:
    """The model with its NER component enabled, and none of `NOT_NER` loaded unless its NER
    reads their embeddings (a listener of a shared tok2vec: then they are loaded, disabled)."""
    nlp = spacy.load(model_name, enable=["ner"], exclude=list(NOT_NER))
    if any(isinstance(layer, Tok2VecListener) for layer in nlp.get_pipe("ner").model.walk()):
        nlp = spacy.load(model_name, enable=["ner"])
    return nlp


def stand_in_lemmas(doc: Doc) -> list[str]:
    return [token.lower_ for token in doc]


def keywords(nlp_engine: SpacyNlpEngine, lemmas: list[str], language: str) -> set[str]:
    """Presidio's keywords of a text, from the stand-in lemmas: built from the empty lemmas of a
    pipeline without lemmatizer, they are empty and no context word ever raises a score. A set:
    Presidio tests `lemma in keywords` for every word near every finding, and on a list that is
    quadratic in the text's length (most of Presidio's time on long messages)."""
    return set(NlpArtifacts.set_keywords(nlp_engine, lemmas, language))


class TokenListsOnDemand(NlpArtifacts):
    """Presidio's NLP artifacts of a text, whose per-token lists (lemmas, offsets, keywords) are
    made when first read, the same as `NerOnlySpacyEngine` makes them otherwise. Only the context
    words of a finding read them, and most texts have no finding that has context words: making
    them for every text walks every token of every text twice."""

    def __init__(
        self,
        entities: list,
        tokens: Doc,
        nlp_engine: SpacyNlpEngine,
        language: str,
        scores: list[float] | None,
    ):
        self.entities = entities
        self.tokens = tokens
        self.nlp_engine = nlp_engine
        self.language = language
        self.scores = scores if scores else [0.85] * len(entities)

    @cached_property
    def lemmas(self) -> list[str]:  # type: ignore[override]
        return stand_in_lemmas(self.tokens)

    @cached_property
    def tokens_indices(self) -> list[int]:  # type: ignore[override]
        return [token.idx for token in self.tokens]

    @cached_property
    def keywords(self) -> set[str]:  # type: ignore[override]
        return keywords(self.nlp_engine, self.lemmas, self.language)


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
        for label in {
            *configuration.model_to_presidio_entity_mapping,
            *configuration.model_to_presidio_entity_mapping.values(),
            *configuration.labels_to_ignore,
        }
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


class SelectingOnceRegistry(RecognizerRegistry):
    """Presidio's registry, which picks the recognizers of a request once per set of entity types:
    the detector asks for the same ones for every text, and picking filters every recognizer."""

    def get_recognizers(
        self,
        language: str,
        entities: list[str] | None = None,
        all_fields: bool = False,
        ad_hoc_recognizers: list[EntityRecognizer] | None = None,
    ) -> list[EntityRecognizer]:
        if ad_hoc_recognizers:
            return super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
        key = (language, tuple(entities or ()), all_fields, len(self.recognizers))
        selected = self.__dict__.setdefault("_selected", {})
        if key not in selected:
            selected[key] = super().get_recognizers(language, entities, all_fields)
        return selected[key]


def best_score(score: float, has_context: bool, enhancer: ContextAwareEnhancer) -> float:
    """The highest score a pattern's finding can end with: its own, raised by context words."""
    if not has_context:
        return score
    raised = max(
        score + enhancer.context_similarity_factor, enhancer.min_score_with_context_similarity
    )
    return min(raised, ContextAwareEnhancer.MAX_SCORE)


def drop_unreachable_patterns(
    recognizers: list[EntityRecognizer],
    thresholds: dict[str, float],
    enhancer: ContextAwareEnhancer,
) -> None:
    """Remove the patterns whose findings stay below their type's minimum score even with context
    words (Presidio's "very weak" ones: a ten-character word with four digits is a "PAN (Low)").

    Such a finding is dropped by the detector's score filter, and the only other thing it could do
    on its way there, hide a finding of its type that it contains, it does only to findings of
    equal or lower score, which the filter drops too. Kept: recognizers that validate (a valid
    checksum scores 1.0) or analyze or raise scores their own way, and PERSON patterns (the
    detector's name filters read PERSON findings of any score).
    """
    for recognizer in recognizers:
        kind = type(recognizer)
        if (
            not isinstance(recognizer, PatternRecognizer)
            or kind.validate_result is not PatternRecognizer.validate_result
            or kind.analyze is not PatternRecognizer.analyze
            or kind.enhance_using_context is not EntityRecognizer.enhance_using_context
            or recognizer.supported_entities[0] == "PERSON"
        ):
            continue
        threshold = thresholds[recognizer.supported_entities[0]]
        recognizer.patterns = [
            pattern
            for pattern in recognizer.patterns
            if best_score(pattern.score, bool(recognizer.context), enhancer) >= threshold
        ]


def build_analyzer(
    config: ScrubberConfig, nlp_configuration: dict | None = None, shortcuts: bool = True
) -> AnalyzerEngine:
    """The analyzer: our recognizers and Presidio's, for the configured entity types only;
    `shortcuts=False` runs every pattern on every text, as Presidio does."""
    models = (nlp_configuration or {}).get("models") or [
        {"lang_code": config.language, "model_name": config.spacy_model}
    ]
    nlp_engine = NerOnlySpacyEngine(
        models=models, ner_model_configuration=ner_configuration(nlp_configuration)
    )
    nlp_engine.load()
    nlp_engine.lists_on_demand = shortcuts
    language = config.language
    registry = (SelectingOnceRegistry if shortcuts else RecognizerRegistry)(
        supported_languages=[language]
    )
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
        IdentifierRecognizer(supported_language=language),
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
        # The city and the employer or school of a self-statement, for the types configured.
        *quasi_identifier_recognizers(config.entities, language),
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
    if shortcuts:
        analyzer: AnalyzerEngine = ShortcutAnalyzerEngine(
            registry=registry,
            nlp_engine=nlp_engine,
            supported_languages=[language],
            context_aware_enhancer=BisectingContextEnhancer(),
        )
    else:
        analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=nlp_engine, supported_languages=[language]
        )
    if shortcuts:
        drop_unreachable_patterns(
            registry.recognizers, config.entities, analyzer.context_aware_enhancer
        )
    return analyzer
