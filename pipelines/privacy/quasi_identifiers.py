"""Quasi-identifiers in what a user says about themselves: their city, their employer, their school.

One of them alone names no one, but a user's record joins dozens of attributes, and a city with
an employer and a few interests can single a person out. So the place a user says they live in,
come from, grew up in or moved to becomes `CITY`, and the employer, school or university they say
is theirs becomes `ORG` ("I live in Tacoma", "j'habite à Toronto", "I worked at Greenleaf Bank
since 2015", and the attributes derived from such statements: "The user lives in Tacoma", "works
at Brightpath Health"). Countries, states and regions stay (WildChat itself publishes country and
state), and so does every place or company a text merely talks about ("a trip to Paris", "the
Colosseum", "Google's API"): only a lead-in that says the place or organization is the speaker's
(or the user's, in an attribute) makes it a finding.

Which of the two types is replaced is the `entities` list of `scrubber.yaml`: a type left out of
it is not looked for.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from pipelines.privacy.regex_gates import PatternGates

CITY = "CITY"
ORG = "ORG"
ENTITIES = (CITY, ORG)
REGIONS_FILE = Path(__file__).with_name("regions.txt")
# Languages whose country names are kept, from Babel's territory names.
COUNTRY_NAME_LANGUAGES = ("en", "fr", "es", "de", "it", "pt", "nl")
SCORE = 0.8

# What a lead-in says the name after it is: a place, an organization, or either (the name's own
# words decide: "trabajo en Madrid", "trabajo en Telefónica").
PLACE, ORGANIZATION, EITHER = "place", "organization", "either"

# Who speaks of themselves: "I", "we", the user of an attribute ("The user lives in"), "you" (a
# personalized response: "since you live in"), or nobody at the start of a line or after "and" or
# "who" (an attribute: "Lives in Tacoma", "a nurse who works at ...").
_ADVERB = r"(?:currently|now|still|also|actually|just|recently|previously|originally|really)"
_SUBJECT = (
    r"(?:\b(?:I|we|you)(?:['’](?:ve|d|re|m))?(?:\s+(?:have|had|am|are|were|was))?"
    rf"|\b(?:the\s+|this\s+|our\s+)?user(?:\s+(?:has|had|is|was))?"
    r"|\b(?:and|since|after)|\b(?:someone|a\s+[a-z\-]+)\s+who"
    r"|^\s*(?:[-*•]\s*)?(?=(?:lives|resides|is|was|works|studies|attends|grew|moved|comes|"
    r"teaches|interns|has)\b)(?:(?:is|was|has|had)\s+)?)"
    rf"(?:\s+{_ADVERB})?(?:\s+used\s+to)?(?:\s+been)?\s*"
)
# A verb of residence or work and its preposition, in the person that follows the subject.
_EN_PLACE = (
    r"(?:live[sd]?|living|reside[sd]?|residing|grew\s+up|been\s+living)"
    r"\s+in"
    r"|(?:am|is|are|was|m|re)?\s*(?:based|located|settled)\s+in"
    r"|(?:born|raised|born\s+and\s+raised)\s+in"
    r"|(?:come[sd]?|coming|hail(?:s|ed)?)\s+from"
    r"|(?:(?:am|is|are|m|re)\s+)?(?:originally\s+)?from"
)
_EN_PLACE_WEAK = r"(?:moved|moving|move[sd]?|relocat(?:ed|ing|es?))\s+to"
_EN_ORG = (
    r"work(?:s|ed|ing)?\s+(?:at|for)|employed\s+(?:at|by|with)"
    r"|(?:intern(?:s|ed|ing)?|teach(?:es|ing)?|taught|stud(?:y|ies|ied|ying)|enrolled)\s+at"
    r"|(?:(?:am|is|are|was|m|re)\s+)?an?\s+(?:[a-z\-]+\s+){0,3}(?:at|for)"
)
_EN_ORG_WEAK = r"attend(?:s|ed|ing)?|graduated\s+from|joined"
# A possessive and the noun of the place or organization: "my hometown is", "the user's employer,
# ", "your school (".
_OWNER = r"\b(?:my|our|your|the\s+user['’]s|user['’]s)\s+"
_NOUN_LINK = r"(?:\s+(?:is|was|of|at|in|called|named)|\s*[,:(]|\s+-)?"
_PLACE_NOUN = r"(?:home\s?town|home\s+city|city|town|village|neighbou?rhood)"
_ORG_NOUN = (
    r"(?:employer|company|workplace|firm|school|high\s+school|university|college|uni|"
    r"office|job|work|lab|hospital|startup|start-up)"
)

# Other languages: the lead-ins carry their own subject.
_LEAD_INS: tuple[tuple[str, str], ...] = (
    (PLACE, rf"{_SUBJECT}(?:{_EN_PLACE})"),
    (PLACE, rf"{_OWNER}{_PLACE_NOUN}{_NOUN_LINK}"),
    (ORGANIZATION, rf"{_SUBJECT}(?:{_EN_ORG})"),
    (EITHER, rf"{_SUBJECT}work(?:s|ed|ing)?\s+in"),
    (ORGANIZATION, rf"{_OWNER}{_ORG_NOUN}{_NOUN_LINK}"),
    # French
    (PLACE, r"\bj['’]\s?habite(?:\s+(?:à|a|en|au|aux|dans|sur))?"),
    (PLACE, r"\bje\s+(?:vis|réside|demeure)\s+(?:à|a|en|au|aux|dans)"),
    (PLACE, r"\bje\s+(?:suis|viens)\s+(?:originaire\s+)?(?:de|d['’]|du)"),
    (PLACE, r"\bj['’]\s?ai\s+grandi\s+(?:à|a|en|au)|\bje\s+suis\s+née?\s+(?:à|a|en|au)"),
    (PLACE, r"\bl['’]utilisat(?:eur|rice)\s+(?:habite|vit|réside)\s+(?:à|a|en|au)"),
    (PLACE, r"\bma\s+ville(?:\s+natale)?(?:\s+est)?\s*[,:]?"),
    (
        ORGANIZATION,
        r"\bje\s+travaille\s+(?:chez|pour)|\bl['’]utilisat(?:eur|rice)\s+travaille\s+chez",
    ),
    (EITHER, r"\bje\s+travaille\s+(?:à|a|au|dans)|\bj['’]\s?étudie\s+(?:à|a|au)"),
    (EITHER, r"\bje\s+suis\s+étudiante?\s+(?:à|a|au)"),
    (ORGANIZATION, r"\bmon\s+(?:entreprise|employeur|école|université|lycée)\s*(?:est|[,:])?"),
    (
        ORGANIZATION,
        r"\bmon\s+(?:employeur|entreprise)|\bma\s+(?:boîte|société|fac)\s*(?:est|[,:])?",
    ),
    # Spanish
    (PLACE, r"\b(?:vivo|resido|nací|crecí)\s+en|\bsoy\s+(?:de|del)|\bme\s+mud[éo]\s+a"),
    (PLACE, r"\bel\s+usuario\s+(?:vive|reside)\s+en|\bmi\s+ciudad(?:\s+(?:es|natal))?\s*[,:]?"),
    (EITHER, r"\btrabajo\s+en|\bestudio\s+en|\bel\s+usuario\s+trabaja\s+en"),
    (
        ORGANIZATION,
        r"\btrabajo\s+para|\bmi\s+(?:empresa|escuela|universidad|colegio)\s*(?:es|[,:])?",
    ),
    # German
    (PLACE, r"\bich\s+(?:wohne|lebe)\s+in|\bich\s+(?:komme|bin)\s+aus|\bwohnhaft\s+in"),
    (PLACE, r"\bich\s+ziehe\s+nach|\bmeine\s+(?:Heimat)?stadt\s*(?:ist|[,:])?"),
    (ORGANIZATION, r"\b(?:ich|und)\s+arbeite\s+(?:bei|für)|\bmein\s+Arbeitgeber\s*(?:ist|[,:])?"),
    (ORGANIZATION, r"\bmeine\s+(?:Firma|Schule|Universität|Uni)\s*(?:ist|[,:])?"),
    (EITHER, r"\bich\s+(?:arbeite|studiere)\s+(?:in|an\s+der|am|an)"),
    # Italian
    (PLACE, r"\b(?:abito|vivo|risiedo)\s+(?:a|in)|\bsono\s+(?:di|nata?\s+a)|\bvengo\s+da"),
    (ORGANIZATION, r"\blavoro\s+(?:per|presso|da)"),
    (EITHER, r"\blavoro\s+(?:a|in)|\bstudio\s+(?:a|presso)"),
    # Portuguese
    (PLACE, r"\b(?:moro|vivo)\s+(?:em|no|na)|\bsou\s+(?:de|do|da)|\bnasci\s+(?:em|no|na)"),
    (EITHER, r"\b(?:trabalho|estudo)\s+(?:em|no|na|para)"),
    # Dutch
    (PLACE, r"\bik\s+(?:woon|leef)\s+in|\bik\s+kom\s+uit"),
    (ORGANIZATION, r"\bik\s+werk\s+(?:bij|voor)"),
)
_WEAK_LEAD_INS: tuple[tuple[str, str], ...] = (
    (PLACE, rf"{_SUBJECT}(?:{_EN_PLACE_WEAK})"),
    (ORGANIZATION, rf"{_SUBJECT}(?:{_EN_ORG_WEAK})"),
)

_UPPER = "A-ZÀ-ÖØ-Þ"
# A word of a proper name: capitalized ("Tacoma", "São", "O'Brien", "Baden-Württemberg"), an
# acronym ("MIT", "NYC"), or an abbreviation ("St.").
_WORD = rf"(?!I\b)(?:(?:St|Ste|Ft|Mt)\.|[{_UPPER}][^\W_]*(?:['’\-&][^\W\d_]+)*)"
# Words that join the words of one name: "University of Washington", "Rio de Janeiro".
_JOIN = (
    r"(?:\s+(?:of|de|del|de\s+la|da|do|dos|du|des|la|le|am|an\s+der|upon|on\s+the|y|&|für)\s+|\s+)"
)
_NAME = rf"{_WORD}(?:{_JOIN}{_WORD}){{0,5}}"
# An article between the lead-in and the name is not part of it: "at the University of ...".
_ARTICLE = r"(?:(?i:the|la|le|el|los|las|die|der|dem|den|il|lo|o|a)\s+|(?i:l['’]))?"


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that make a name an organization's, in the languages of the lead-ins.
ORG_WORDS = _word_set(
    """
    bank health hospital clinic university college school academy institute labs lab
    logistics analytics retail robotics group corp corporation company co inc ltd llc gmbh ag sa
    plc solutions systems technologies technology tech software consulting partners agency
    foundation council department ministry insurance services center centre studio studios
    airlines motors pharma pharmaceuticals media news capital holdings industries energy
    universidad universidade université universität hochschule schule école lycée colegio
    escuela instituto istituto università scuola ospedale hôpital klinik krankenhaus empresa
    """
)
# Capitalized words that name no place nor employer: months, days, departments and fields of work
# ("I work in Finance"), and pronouns.
NOT_A_NAME = _word_set(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday i hr it qa pr i'm
    finance marketing sales engineering operations accounting legal research design support
    management admin procurement logistics healthcare retail education tech software
    enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    janvier février mars avril mai juin juillet août septembre octobre novembre décembre
    januar februar märz juni juli oktober dezember
    """
)
# What teams move to that is no place: "we moved to Kubernetes", "I'm moving to Rust".
SOFTWARE = _word_set(
    """
    kubernetes react angular vue svelte linux windows mac macos ubuntu debian fedora arch azure
    docker rust go golang java kotlin swift typescript javascript python postgres postgresql
    mysql mongodb redis django flask rails spring terraform github gitlab bitbucket jenkins
    vercel heroku netlify firebase supabase android ios iphone chrome firefox safari edge notion
    obsidian vim neovim emacs vscode intellij excel sheets figma canva tailwind bootstrap next.js
    """
)


@cache
def kept_places() -> frozenset[str]:
    """Countries (Babel's names in several languages), states, provinces and regions, folded."""
    names = {
        line.strip().casefold()
        for line in REGIONS_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    from babel import Locale

    for language in COUNTRY_NAME_LANGUAGES:
        names |= {name.casefold() for name in Locale(language).territories.values()}
    return frozenset(names | {f"the {name}" for name in names})


def is_kept_place(name: str) -> bool:
    return " ".join(name.replace("’", "'").split()).casefold() in kept_places()


def _compile(lead_ins: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(f"(?:{lead})" for lead in lead_ins)
    return re.compile(rf"(?i:{alternatives})\s*{_ARTICLE}(?P<name>{_NAME})(?![^\W_])", re.MULTILINE)


@cache
def _patterns() -> tuple[tuple[str, bool, re.Pattern[str]], ...]:
    return tuple(
        [(kind, False, _compile((lead,))) for kind, lead in _LEAD_INS]
        + [(kind, True, _compile((lead,))) for kind, lead in _WEAK_LEAD_INS]
    )


@cache
def _gates() -> PatternGates:
    return PatternGates(pattern for _, _, pattern in _patterns())


def _words(name: str) -> list[str]:
    return re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", name)


def _trim_kept_tail(text: str, start: int, end: int) -> tuple[int, int]:
    """ "Tacoma Washington" -> "Tacoma": a state or country written after the city stays."""
    words = list(re.finditer(r"\S+", text[start:end]))
    for index in range(1, len(words)):
        tail = text[start + words[index].start() : end]
        if is_kept_place(tail) and not words[index - 1].group().islower():
            return start, start + words[index - 1].end()
    return start, end


def _has_org_word(name: str) -> bool:
    return any(word.casefold() in ORG_WORDS for word in _words(name))


def classify(name: str, kind: str) -> str | None:
    """CITY, ORG, or None when the name is kept (a country, state or region) or no name at all."""
    words = _words(name)
    if not words or is_kept_place(name):
        return None
    if len(words) == 1 and words[0].casefold() in NOT_A_NAME:
        return None
    if _has_org_word(name):
        return ORG
    return ORG if kind == ORGANIZATION else CITY


def find(text: str, nlp_artifacts: NlpArtifacts | None = None) -> list[tuple[int, int, str]]:
    """(start, end, CITY or ORG) of every place or organization a self-statement names.

    A weak lead-in names a place unless the name is software ("we moved to Kubernetes"), and an
    organization only when one of its words says so ("I joined Cobalt Robotics", not "I attended
    Coachella"). The NER model is not asked: the small model calls Boise an organization and React
    a place.
    """
    found: dict[tuple[int, int], str] = {}
    # A lead-in's words are in every match of it: a text without them is not scanned for it.
    for (kind, weak, pattern), may_match in zip(_patterns(), _gates().may_match(text), strict=True):
        if not may_match:
            continue
        for match in pattern.finditer(text):
            start, end = match.span("name")
            if is_kept_place(text[start:end]):
                continue
            start, end = _trim_kept_tail(text, start, end)
            name = text[start:end]
            entity_type = classify(name, kind)
            if entity_type is None:
                continue
            if weak and kind == PLACE and (name.isupper() or name.casefold() in SOFTWARE):
                continue
            if weak and kind == ORGANIZATION and not _has_org_word(name):
                continue
            found.setdefault((start, end), entity_type)
    return [(start, end, entity_type) for (start, end), entity_type in sorted(found.items())]


class SelfStatementRecognizer(LocalRecognizer):
    """The city and the employer or school of a user's statement about themselves."""

    def __init__(self, entities: tuple[str, ...] = ENTITIES, supported_language: str = "en"):
        super().__init__(
            supported_entities=list(entities),
            supported_language=supported_language,
            name="SelfStatementRecognizer",
        )

    def load(self) -> None:
        pass

    def gate_patterns(self) -> list[tuple[str, int]]:
        """Its findings are the names its lead-ins' patterns capture."""
        return [(pattern.pattern, pattern.flags) for _, _, pattern in _patterns()]

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        wanted = set(entities) & set(self.supported_entities)
        return [
            RecognizerResult(
                entity_type,
                start,
                end,
                SCORE,
                AnalysisExplanation(self.name, SCORE, textual_explanation="self-statement"),
                {
                    RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for start, end, entity_type in find(text, nlp_artifacts)
            if entity_type in wanted
        ]


def quasi_identifier_recognizers(
    configured: set[str] | dict[str, float], language: str = "en"
) -> list[SelfStatementRecognizer]:
    """The recognizer for the quasi-identifier types the configuration scrubs (none: none)."""
    entities = tuple(t for t in ENTITIES if t in configured)
    return [SelfStatementRecognizer(entities, language)] if entities else []
