"""Presidio's analyzer as the detector builds it: an NER-only spaCy pipeline, our recognizers and
Presidio's, for the configured entity types only.
"""

from __future__ import annotations

import re

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
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


def build_analyzer(config: ScrubberConfig, nlp_configuration: dict | None = None) -> AnalyzerEngine:
    """The analyzer: our recognizers and Presidio's, for the configured entity types only."""
    models = (nlp_configuration or {}).get("models") or [
        {"lang_code": config.language, "model_name": config.spacy_model}
    ]
    nlp_engine = NerOnlySpacyEngine(
        models=models, ner_model_configuration=ner_configuration(nlp_configuration)
    )
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
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[language])
