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
    IDENTIFIER_WORD,
    NAME_ENDS,
    NAME_PARTICLES,
    TRAVEL,
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
    foreign_stop_words,
    given_names,
    introduced_name_recognizer,
    is_english_word,
    lead_in_name_recognizers,
    postcode_recognizer,
    sentence_around,
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
SPACY_RECOGNIZER = "SpacyRecognizer"
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
        self.allowed = _phrases(config.allow_list)
        self.longest_allowed = max(map(len, config.allow_list), default=0)
        self.public_figures = {name.casefold() for name in config.public_figures}
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
        masked = [_mask_code_blocks(text) for text in texts]
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
        for result in results:
            entity_type = result.entity_type
            if result.score < self.config.entities.get(entity_type, 2.0):
                continue
            if entity_type in TRIMMED:
                result.start, result.end = _trim(text, result.start, result.end, entity_type)
            elif entity_type == "PERSON":
                result.start, result.end = _name_span(text, result.start, result.end)
            value = text[result.start : result.end]
            if not value or self._allowed(text, result.start, result.end):
                continue
            if entity_type == "PERSON" and not self._is_private_name(text, result):
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
        does not take every "will" of the text with it; nor acronyms ("API" of a name run into
        it), function words of other languages ("que") or words the allow list holds.
        """
        words = {
            word.casefold()
            for finding in kept
            if finding.entity_type == "PERSON"
            for word in NAME_WORD.findall(POSSESSIVE.sub("", text[finding.start : finding.end]))
            if len(word) >= 3
            and not word.isupper()
            and not is_english_word(word.casefold())
            and word.casefold() not in self.public_figures
            and word.casefold() not in foreign_stop_words()
        }
        if not words:
            return []
        pattern = re.compile(
            r"(?<![\w'’-])(?:" + "|".join(map(re.escape, sorted(words))) + r")(?![\w-])",
            re.IGNORECASE,
        )
        return [
            Finding(m.start(), m.end(), "PERSON", self.min_score)
            for m in pattern.finditer(_mask_code_blocks(text))
            if not self._allowed(text, m.start(), m.end())
        ]

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

    def _is_private_name(self, text: str, result: RecognizerResult) -> bool:
        """A person's name in shape, not a public figure, and not the name of a thing.

        A name in lower case is taken from the gazetteer, which checks it against English words,
        or from the NER model when it starts with a given name and some word of it is no English
        word ("silvana", "lena andersson"); the model's other lower-case "persons" are mostly
        common words. A public figure is one `public_figures` lists or one named as the topic of
        a request (`public_figure_topics`: "books by Stephen King"). A word in capitals or with
        a capital inside ("JSON", "PyTorch", not "McDonald") is no name. A name announced by a
        lead-in ("my name is", "my boss") is a person's; any other must not read as a place,
        work, product, employer or phrase (`_names_a_thing`).
        """
        name = POSSESSIVE.sub("", text[result.start : result.end].strip())
        recognizer = _recognizer(result)
        if not NAME_SHAPE.match(name) or not (
            recognizer == GivenNameRecognizer.NAME
            or any(c.isupper() for c in name)
            or _given_name_first(name)
        ):
            return False
        if name.casefold() in self.public_figures or (
            self.public_topic
            and self.public_topic.search(text[max(0, result.start - 40) : result.start])
        ):
            return False
        if _reads_as_code(NAME_WORD.findall(name)):
            return False
        return recognizer in LEAD_IN_RECOGNIZERS or not _names_a_thing(
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


# Recognizers whose names a lead-in announces ("my name is", "my boss", "Dear"): a person's.
LEAD_IN_RECOGNIZERS = {
    "IntroducedNameRecognizer",
    "RelationNameRecognizer",
    "SelfIntroductionRecognizer",
    "KinNameRecognizer",
}
# A word before a name that makes it a thing's: "the Acropolis", "a Roth IRA", "this Dyson".
ARTICLE_BEFORE = re.compile(
    r"(?<!\w)(?:a|an|(?i:the|this|that|these|those|le|la|les|el|il"
    r"|der|die|das))\s+$"
)
# Words before a place, an employer or a work: "in Florence", "moving to Porto", "works at
# Brightpath Health", "drove from Austin to Dallas", "in Lisbon and Valencia", "humming ...".
PLACE_BEFORE = re.compile(
    r"(?<!\w)(?:in|at|near|around|across|inside|outside|via|into|toward|towards|visit|visited"
    r"|visiting|explore|exploring|à|en|nach"
    r"|(?:move|moves|moved|moving|fly|flew|flying|flight|flights|drive|drove|driving|trip"
    r"|travel|travels|traveled|travelled|traveling|travelling|go|goes|went|going|back|get"
    r"|train|bus|ferry|relocate|relocating|return|returning|route)\s+(?:to|from)"
    r"|(?:hired|employed|sponsored|acquired|owned)\s+by|(?:retired|resigned|graduated)\s+from"
    r"|(?:partner|partners|partnered|volunteer|volunteers|volunteered|intern|interned)\s+with"
    r"|job|role|position|internship|career"
    # Works: "humming Bohemian Rhapsody", "finished Wolf Hall".
    r"|read|reading|watch|watched|watching|play|played|playing|hum|humming|sing|singing"
    r"|listen\w*\s+to|finished|rewatch\w*|binge\w*)"
    r"\s+(?:[A-Z][\w'’-]*\s+(?:and|or|to|&|including)\s+)?$",
    re.IGNORECASE,
)
# A character no name has: "Heather:\"I'm", "Marie, j'habite".
NOT_IN_NAME = re.compile(r"[^\w \t'’.\-]|_|\d")
# "I", "I'll" after a name: "Tell Caspian Holt I'll be late".
TRAILING_PRONOUN = re.compile(r"\s+I(?:['’](?:ll|m|ve|d))?$")
# "shouted at Gary": "at" before a person.
ADDRESSED = re.compile(
    r"(?i:\b(?:shout|yell|scream|look|stare|glanc|smil|laugh|wav|point|angry|mad|upset|snap"
    r"|bark|grin|nod|wink|throw|threw|swor|swear|cry|cried)\w*\s+at\s+)$"
)
# A work after its author's name: "the Jensen novel".
WORKS = {
    "novel",
    "novels",
    "book",
    "books",
    "film",
    "films",
    "movie",
    "movies",
    "song",
    "songs",
    "album",
    "albums",
    "concert",
    "concerts",
    "version",
    "versions",
    "show",
    "play",
    "poem",
    "poems",
    "story",
    "stories",
    "essay",
    "paper",
    "painting",
    "paintings",
    "biography",
    "interview",
    "speech",
    "lecture",
    "quote",
    "quotes",
}
# A title after the name: "Anne of Green Gables", "Prince of Persia".
OF_AFTER = re.compile(r"^\s+of\s+(?:the\s+)?[A-Z]")
# The word after a name (after its possessive): "Hadrian's Wall", "Shinjuku Gyoen Station".
WORD_AFTER = re.compile(r"^(?:['’]s)?[ \t]+([A-Za-z]+)")
# Possessives and articles of other languages, before a noun the NER model takes for a name:
# "Mein Name", "Mijn klantnummer", "Il mio numero".
FOREIGN_DETERMINERS = {
    "mein",
    "meine",
    "meinen",
    "meiner",
    "dein",
    "deine",
    "unser",
    "unsere",
    "mijn",
    "mitt",
    "mina",
    "mon",
    "mes",
    "notre",
    "votre",
    "mi",
    "mis",
    "il",
    "lo",
    "gli",
    "mio",
    "mia",
    "meu",
    "minha",
    "moja",
    "mój",
}
MONTHS_AND_DAYS = {
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
}
# Words before a name that make it one whatever the other words say: "Professor Baker".
TITLES = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lady",
    "lord",
    "aunt",
    "auntie",
    "uncle",
    "grandma",
    "grandpa",
    "nana",
    "coach",
    "father",
    "sister",
    "brother",
    "saint",
    "st",
}
# Words that may join a name's parts: the surname particles, and Spanish "y" ("Ortega y Gasset").
JOINING_WORDS = NAME_PARTICLES | {"y"}
# Capitals inside a word that do not make it a product's: "McDonald", "MacArthur", "DeShawn".
NAME_PREFIX = re.compile(r"^(?:Mc|Mac|O['’]|De|Di|Da|Le|La|Van|Von|Fitz)(?=[A-Z])")
# A common noun's ending: "Urban Planning", "Key Decision Points", "Risk Management".
NOUN_ENDING = re.compile(r"(?:ing|tion|sion|ment|ness|ity|ance|ence|ship|ism|ology)$")


def _recognizer(result: RecognizerResult) -> str | None:
    return (result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY)


def _name_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A name's own words: up to its line's end and the first character no name has ("Heather:",
    "Marie, j'habite"), without the words the NER model runs into it ("Je m'appelle Marie",
    "Mein Name", "Il mio numero") nor a pronoun after it ("Tell Caspian Holt I'll")."""
    end = _first_line_end(text, start, end)
    foreign = NOT_IN_NAME.search(text, start, end)
    end = foreign.start() if foreign and foreign.start() > start else end
    trailing_pronoun = TRAILING_PRONOUN.search(text, start, end)
    end = trailing_pronoun.start() if trailing_pronoun else end
    while end > start and text[end - 1].isspace():
        end -= 1
    popular = given_names()[1]
    words = list(NAME_WORD.finditer(text, start, end))
    for index, word in enumerate(words[:-1]):
        value = word.group()
        key = value.casefold()
        elided = re.match(r"^[^\W\d_]{1,2}['’]", text[word.start() : end])
        # "Je m'appelle", "Il mio": a short function word before lower-case words.
        function_word = (
            key in foreign_stop_words() and len(key) <= 5 and words[index + 1].group().islower()
        )
        if key in JOINING_WORDS or not (
            value.islower() or elided or function_word or (key not in popular and key in STOP_WORDS)
        ):
            break
        if not any(w.group()[0].isupper() for w in words[index + 1 :]):
            break
        start = words[index + 1].start()
    return start, end


def _reads_as_code(words: list[str]) -> bool:
    """A word in capitals alone ("JSON", "ID") or one with a capital inside ("PyTorch",
    "LastRow"), not "McDonald" nor "Evans-Bonilla"."""
    if len(words) == 1 and len(words[0]) > 1 and words[0].isupper():
        return True
    return any(
        any(c.isupper() for c in part[1:])
        for word in words
        if not word.isupper()
        for part in re.split(r"['’\-]", NAME_PREFIX.sub("", word))
    )


def _common_noun_phrase(keys: list[str]) -> bool:
    """English words only, none a popular given name, and the last one a common noun by its
    ending or the third word of a phrase ("Urban Planning", "Key Decision Points")."""
    popular = given_names()[1]
    if (
        len(keys) < 2
        or keys[0] in TITLES
        or not all((is_english_word(k) or k in STOP_WORDS) and k not in popular for k in keys)
    ):
        return False
    last = keys[-1]
    plural = last.endswith("s") and len(last) > 5 and is_english_word(last[:-1])
    return len(keys) >= 3 or plural or bool(NOUN_ENDING.search(last))


def _names_a_thing(text: str, start: int, end: int, name: str, recognizer: str | None) -> bool:
    """What the NER model or the gazetteer took for a person is a place, a work, a product, an
    employer, a word or a phrase.

    - a single word that opens a sentence before a lower-case word, is an English word and no
      given name ("Cook two grains", "Meter number"), or a month or a day;
    - after an article ("the Acropolis", "a Roth IRA"; not "a Melissa Oliveira concert") or
      a word that leads to a place, an employer or a work ("in Florence", "works at Brightpath
      Health", "flight to Adelaide", "humming Bohemian Rhapsody");
    - before a word that names a place, building, company or work ("San Diego Zoo", "Hadrian's
      Wall", "Oakridge Labs", "Elden Ring"), or one word before a title's "of" ("Anne of Green
      Gables");
    - a phrase of English words that ends in a common noun (`_common_noun_phrase`);
    - a possessive of another language first ("Mein Name") or a word that names an identifier
      ("Rechnungsnummer", "Número de expediente");
    - one popular given name among travel words ("Is Madison a good city?"), unless called.
    """
    words = [w for w in NAME_WORD.findall(name) if w.casefold() not in JOINING_WORDS]
    keys = [w.casefold() for w in words]
    if (
        not words
        or keys[0] in FOREIGN_DETERMINERS
        or any(IDENTIFIER_WORD.fullmatch(word) for word in words)
    ):
        return True
    names, popular = given_names()
    before = text[max(0, start - 60) : start]
    after = text[end : end + 40]
    following = WORD_AFTER.match(after)
    single = len(words) == 1
    next_word = following.group(1) if following and following.group(1).islower() else None
    if single and (
        keys[0] in MONTHS_AND_DAYS
        or (
            keys[0] not in names
            and is_english_word(keys[0])
            and not GivenNameRecognizer._mid_sentence(text, start)
            and next_word
            and next_word not in ("and", "or")
        )
    ):
        return True
    # "a Dyson", "the Hilton Athens.", but not "the Jensen novel" nor "a Melissa Oliveira
    # concert": an author's or a performer's.
    modifier = next_word and (next_word in WORKS or not single and next_word not in STOP_WORDS)
    if ARTICLE_BEFORE.search(before) and not modifier:
        return True
    if PLACE_BEFORE.search(before) and not ADDRESSED.search(before):
        return True
    if (
        keys[-1] in NAME_ENDS
        or (single and OF_AFTER.match(after))
        or (
            following
            and following.group(1)[0].isupper()
            and following.group(1).casefold() in NAME_ENDS
        )
    ):
        return True
    if _common_noun_phrase(keys):
        return True
    vocative = re.search(r",\s*$", before) and re.match(r"^\s*[!?,]", after)
    return bool(
        single
        and keys[0] in popular
        and not vocative
        and TRAVEL.search(sentence_around(text, start, end))
    )


def _given_name_first(name: str) -> bool:
    """A lower-case name that starts with a given name and has a word no dictionary knows."""
    keys = [word.casefold() for word in NAME_WORD.findall(name)]
    return (
        bool(keys)
        and keys[0] in given_names()[0]
        and keys[0] not in STOP_WORDS
        and any(len(key) > 2 and not is_english_word(key) for key in keys)
    )


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
    return (
        bool(VERSION_PREFIX.search(before))
        or bool(re.match(r"\.\d", after))
        or (before.endswith(".") and before[-2:-1].isdigit())
    )


# When two findings overlap, the more specific type wins (an e-mail over the URL inside it). A
# number introduced as an identifier is one whatever its shape; a phone number is a phone number
# even where a national ID's pattern and checksum happen to fit it too (default 3).
TYPE_PRIORITY = {
    "SECRET": 5,
    "EMAIL_ADDRESS": 4,
    "ID_NUMBER": 3.6,
    "PHONE_NUMBER": 3.5,
    "URL": 1,
    "PERSON": 2,
    "STREET_ADDRESS": 3,
}


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
                last.start,
                max(last.end, finding.end),
                winner.entity_type,
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

    def stream(
        self, items: Iterable[tuple[str, Route]], chunk_size: int | None = None
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


def _chunks(
    items: Iterable[tuple[str, Route]], size: int
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
