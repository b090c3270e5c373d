"""Recognizers that Presidio lacks or gets wrong for chat and annotation text.

Each one is a Presidio recognizer, so the analyzer runs, scores and explains it like its own.
Replacements for Presidio's: an e-mail recognizer that never reaches the network, a phone
recognizer that runs `phonenumbers` only where digits are, public-only IP addresses, and URLs only
when their path names a person. Additions: street addresses, crowd-platform IDs, @handles and
secrets.
"""

from __future__ import annotations

import ipaddress
import re

import phonenumbers
import tldextract
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import EmailRecognizer, IpRecognizer

# The suffix snapshot bundled with tldextract; no URL to fetch and no cache to write.
OFFLINE_TLD_EXTRACTOR = tldextract.TLDExtract(
    cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail patterns, validated against the bundled public suffix list only."""

    def validate_result(self, pattern_text: str) -> bool:
        return OFFLINE_TLD_EXTRACTOR(pattern_text).fqdn != ""


class PublicIpRecognizer(IpRecognizer):
    """IP addresses, except private, loopback, link-local and other non-personal ranges."""

    def invalidate_result(self, pattern_text: str) -> bool:
        try:
            address = ipaddress.ip_interface(pattern_text.strip()).ip
        except ValueError:
            return True
        return not address.is_global


class FastPhoneRecognizer(LocalRecognizer):
    """Presidio's phone recognizer, run only on the stretches of text that hold enough digits.

    `phonenumbers.PhoneNumberMatcher` scans the whole text once per region, which makes it most of
    Presidio's regex time on long texts; almost every chat message has no run of seven digits, so
    a cheap candidate regex first and the matcher on a window around each candidate finds the same
    numbers at a fraction of the cost.
    """

    SCORE = 0.4
    CONTEXT = ["phone", "number", "telephone", "cell", "cellphone", "mobile", "call", "tel",
               "whatsapp", "text", "fax"]
    REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR", "AU", "ES", "IT", "NL", "CN")
    CANDIDATE = re.compile(r"[+(]?\d[\d \t().\-/]{5,}\d")
    MIN_DIGITS = 7
    WINDOW = 8

    def __init__(self, supported_language: str = "en", leniency: int = 1):
        self.leniency = leniency
        super().__init__(
            supported_entities=["PHONE_NUMBER"],
            supported_language=supported_language,
            context=self.CONTEXT,
            name="FastPhoneRecognizer",
        )

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for candidate in self.CANDIDATE.finditer(text):
            if sum(c.isdigit() for c in candidate.group()) < self.MIN_DIGITS:
                continue
            start = max(0, candidate.start() - self.WINDOW)
            window = text[start : candidate.end() + self.WINDOW]
            for region in self.REGIONS:
                for match in phonenumbers.PhoneNumberMatcher(window, region, self.leniency):
                    results.append(self._result(start + match.start, start + match.end, region))
        return EntityRecognizer.remove_duplicates(results)

    def _result(self, start: int, end: int, region: str) -> RecognizerResult:
        return RecognizerResult(
            entity_type="PHONE_NUMBER",
            start=start,
            end=end,
            score=self.SCORE,
            analysis_explanation=AnalysisExplanation(
                recognizer=self.name,
                original_score=self.SCORE,
                textual_explanation=f"valid {region} phone number",
            ),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Crescent|Close|Row|Alley|"
    r"Strasse|Straße|Str|Rue|Calle|Via|Viale|Katu|Gatan|Vej|Weg|Laan"
)
_STREET = (
    # "12 Oak Street", "4B Maple Ave.", optionally "Apt 5", then city, region and postcode.
    rf"\b\d{{1,6}}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){{1,4}}(?:{_STREET_TYPES})\b\.?"
    r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|#)\.?\s*[\w-]+)?"
    r"(?:,\s*[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,2})?"
    r"(?:,?\s*(?:[A-Z]{2}\s+)?(?:\d{5}(?:-\d{4})?|[A-Z]\d[A-Z]\s?\d[A-Z]\d|"
    r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|\d{4,6})\b)?"
)
_EUROPEAN_STREET = (
    # "Koskikatu 25", "Hauptstraße 5, 10115 Berlin": the number after the street name.
    rf"\b[A-Z][\w'-]*(?:{_STREET_TYPES.lower()}|straße|strasse|gatan|katu|vej|weg|laan|tie)"
    r"\s+\d{1,5}[A-Za-z]?\b(?:,\s*\d{4,5}\s+[A-Z][\w-]+)?"
)


class StreetAddressRecognizer(PatternRecognizer):
    """Street addresses: number, street name and type, then unit, city and postcode if present."""

    PATTERNS = [
        Pattern("street address (number first)", _STREET, 0.6),
        Pattern("street address (number after)", _EUROPEAN_STREET, 0.5),
        Pattern("unit", r"\b(?:Apt\.?|Apartment|Suite)\s*#?\d{1,5}\b", 0.5),
        Pattern("PO box", r"\bP\.?\s?O\.?\s+Box\s+\d{1,6}\b", 0.6),
    ]
    CONTEXT = ["address", "live", "lives", "living", "street", "ship", "mail", "located"]

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=supported_language,
            name="StreetAddressRecognizer",
            global_regex_flags=re.MULTILINE,
        )


class PlatformIdRecognizer(PatternRecognizer):
    """Crowd-platform worker IDs (Prolific and similar): 24 hexadecimal characters."""

    PATTERNS = [Pattern("24 hex characters", r"(?<![0-9A-Fa-f])[0-9a-f]{24}(?![0-9A-Fa-f])", 0.7)]
    CONTEXT = ["prolific", "worker", "participant", "annotator", "id", "pid"]

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entity="PLATFORM_ID",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=supported_language,
            name="PlatformIdRecognizer",
            global_regex_flags=re.MULTILINE,
        )

    def validate_result(self, pattern_text: str) -> bool:
        # A hex run with no digit or no letter is a word or a number, not an ID.
        return any(c.isdigit() for c in pattern_text) and any(c.isalpha() for c in pattern_text)


# Hosts whose first path segment (or the one after a prefix) is a person's account.
PROFILE_HOSTS = (
    r"github\.com|gitlab\.com|twitter\.com|x\.com|instagram\.com|facebook\.com|fb\.com|"
    r"tiktok\.com|youtube\.com/(?:@|c/|user/|channel/)|linkedin\.com/in|reddit\.com/(?:u|user)|"
    r"medium\.com|t\.me|threads\.net|mastodon\.social|bsky\.app/profile|soundcloud\.com|"
    r"twitch\.tv|pinterest\.com|behance\.net|dribbble\.com|kaggle\.com|huggingface\.co|"
    r"stackoverflow\.com/users|vk\.com|substack\.com/@|patreon\.com|onlyfans\.com"
)


class PersonalUrlRecognizer(PatternRecognizer):
    """URLs that lead to a person: profile pages, user folders, e-mail or name in the query.

    Presidio's URL recognizer takes any dotted word for a URL (`pd.read_csv`, `train.py`) and
    would erase every documentation link a researcher needs; a link names a person when its path
    does, and only then is it personal data.
    """

    PATTERNS = [
        Pattern(
            "profile URL",
            rf"(?:https?://)?(?:www\.|m\.|mobile\.)?(?:{PROFILE_HOSTS})/@?[\w.\-]+[^\s<>\"')\]]*",
            0.7,
        ),
        Pattern("personal site", r"(?:https?://)?[\w\-]+\.(?:github\.io|substack\.com)\S*", 0.6),
        Pattern(
            "user folder",
            r"(?:https?://)\S+?/(?:~[\w.\-]+|users?/[\w.\-]+|profiles?/[\w.\-]+|u/[\w.\-]+)"
            r"[^\s<>\"')\]]*",
            0.6,
        ),
        Pattern(
            "personal query",
            r"https?://\S+?[?&](?:email|e-mail|user|username|name|phone|uid)=[^\s<>\"')\]]+",
            0.6,
        ),
    ]
    CONTEXT = ["profile", "my", "account", "page", "follow"]

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entity="URL",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=supported_language,
            name="PersonalUrlRecognizer",
        )


class HandleRecognizer(PatternRecognizer):
    """@handles of social accounts (not e-mail addresses, decorators or npm scopes)."""

    PATTERNS = [
        Pattern("@handle", r"(?<![\w@./])@[A-Za-z_][A-Za-z0-9_.]{2,29}(?<!\.)(?![\w@/(])", 0.6)
    ]
    CONTEXT = ["follow", "twitter", "instagram", "tiktok", "handle", "dm", "me"]

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entity="USERNAME",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=supported_language,
            name="HandleRecognizer",
            global_regex_flags=re.MULTILINE,
        )


class SecretRecognizer(PatternRecognizer):
    """API keys, tokens, private keys and passwords given in assignments."""

    PATTERNS = [
        Pattern("OpenAI key", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}", 0.9),
        Pattern("AWS access key", r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b", 0.9),
        Pattern("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{30,}\b", 0.9),
        Pattern("GitHub fine-grained token", r"\bgithub_pat_[A-Za-z0-9_]{40,}\b", 0.9),
        Pattern("Slack token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}", 0.9),
        Pattern("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b", 0.9),
        Pattern("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b", 0.9),
        Pattern("Stripe key", r"\b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}\b", 0.9),
        Pattern("JWT", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", 0.8),
        Pattern(
            "private key block",
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----",
            0.95,
        ),
    ]

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entity="SECRET",
            patterns=self.PATTERNS,
            supported_language=supported_language,
            name="SecretRecognizer",
            global_regex_flags=re.MULTILINE,
        )

    # api_key = "...", password: '...', TOKEN="...": the quoted value only.
    ASSIGNED = re.compile(
        r"(?i)(?:api[_-]?key|secret|token|passw(?:or)?d|passwd|pwd)[\"']?\s{0,3}[:=]\s{0,3}"
        r"[\"']([^\"'\s]{8,})[\"']"
    )
    ASSIGNED_SCORE = 0.7

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None, **kwargs
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, **kwargs) or []
        for match in self.ASSIGNED.finditer(text):
            results.append(
                RecognizerResult(
                    "SECRET",
                    match.start(1),
                    match.end(1),
                    self.ASSIGNED_SCORE,
                    AnalysisExplanation(self.name, self.ASSIGNED_SCORE,
                                        textual_explanation="value assigned to a secret"),
                    {RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                     RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id},
                )
            )
        return results


class CapturedRecognizer(LocalRecognizer):
    """A value that only its lead-in words reveal: the regex's group 1 is the finding."""

    def __init__(self, entity: str, name: str, regex: str, score: float,
                 supported_language: str = "en"):
        self.regex = re.compile(regex)
        self.score = score
        super().__init__(supported_entities=[entity], supported_language=supported_language,
                         name=name)

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        return [
            RecognizerResult(
                self.supported_entities[0], m.start(1), m.end(1), self.score,
                AnalysisExplanation(self.name, self.score, textual_explanation=self.name),
                {RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                 RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id},
            )
            for m in self.regex.finditer(text)
        ]


def introduced_name_recognizer(supported_language: str = "en") -> CapturedRecognizer:
    """"My name is Siiri", "Dear Ms. Rubija": names the small NER model calls ORG or GPE."""
    return CapturedRecognizer(
        "PERSON",
        "IntroducedNameRecognizer",
        r"(?i:\bmy name is|\bmy name's|\bi am called|\bcall me|\bnamed|\bdear|\bsincerely,"
        r"|\bsigns as|\bsigned as|\bsigned by|\bsigns off as|\bmentions"
        r"|\bregards,|\bmr\.?|\bmrs\.?|\bms\.?|\bmiss|\bdr\.?|\bprof\.?)\s+"
        r"([A-Z][^\W\d_]+(?:[ \-](?:[A-Z]\.\s?)?[A-Z][^\W\d_]+){0,3})",
        0.6,
        supported_language,
    )


# Who a person is to the writer: "my kid Ava", "our tutor Mateo Navarro", "ma soeur Zoe".
_RELATIONS = (
    r"kid|kids|son|daughter|child|baby|boy|girl|sister|brother|sibling|wife|husband|partner|"
    r"fianc[eé]e?|girlfriend|boyfriend|spouse|mom|mum|mother|dad|father|parents?|grandma|"
    r"grandpa|grandmother|grandfather|aunt|uncle|cousin|niece|nephew|friend|buddy|roommate|"
    r"flatmate|neighbou?r|boss|manager|supervisor|colleague|coworker|co-worker|employee|"
    r"assistant|tutor|teacher|professor|student|coach|doctor|therapist|landlord|tenant|client|"
    r"customer|ex|crush|dog|cat|puppy|kitten|"
    # French, Spanish, German, Italian lead-ins, for the non-English messages WildChat holds.
    r"soeur|sœur|fr[eè]re|fille|fils|m[eè]re|p[eè]re|femme|mari|ami|amie|copain|copine|"
    r"hermana|hermano|hija|hijo|madre|padre|esposa|esposo|amigo|amiga|novio|novia|"
    r"schwester|bruder|tochter|sohn|mutter|vater|frau|mann|freund|freundin|"
    r"sorella|fratello|figlia|figlio|moglie|marito"
)


def relation_name_recognizer(supported_language: str = "en") -> CapturedRecognizer:
    """A capitalized name right after a possessive and a relation: "my boss Lucas Abbott"."""
    return CapturedRecognizer(
        "PERSON",
        "RelationNameRecognizer",
        rf"(?i:\b(?:my|our|his|her|their|ma|mon|mes|mi|mis|meine?|meiner|mia|mio)\s+"
        rf"(?:(?:old|new|little|big|older|younger|best|late|former|dear|petite?|grande?|"
        rf"kleine?r?)\s+)?(?:{_RELATIONS}),?)\s+"
        r"([A-Z][^\W\d_]+(?:[ \-][A-Z][^\W\d_]+){0,2})",
        0.6,
        supported_language,
    )


def self_introduction_recognizer(supported_language: str = "en") -> CapturedRecognizer:
    """Self-introductions in the languages users write in: "je m'appelle Lucas", "me llamo"."""
    return CapturedRecognizer(
        "PERSON",
        "SelfIntroductionRecognizer",
        r"(?i:\bje m['’]appelle|\bmon nom est|\bme llamo|\bmi nombre es|\bich hei(?:ß|ss)e|"
        r"\bmein name ist|\bmi chiamo|\bit['’]s me,|\bthis is)\s+"
        r"([A-Z][^\W\d_]+(?:[ \-][A-Z][^\W\d_]+){0,2})",
        0.55,
        supported_language,
    )


def card_number_recognizer(supported_language: str = "en") -> CapturedRecognizer:
    """A number called a card number, even one that fails the Luhn check (a typo leaks too)."""
    return CapturedRecognizer(
        "CREDIT_CARD",
        "CardNumberRecognizer",
        r"(?i:\b(?:card|cc|visa|mastercard|amex|debit|credit))[^\d\n.?!]{0,25}"
        r"(?<![\d-])((?:\d[ \-]?){11,18}\d)(?![\d-])",
        0.5,
        supported_language,
    )
