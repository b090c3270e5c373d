"""Recognizers that Presidio lacks or gets wrong for chat and annotation text.

Each one is a Presidio recognizer, so the analyzer runs, scores and explains it like its own.
Replacements for Presidio's: an e-mail recognizer that never reaches the network, a phone
recognizer that runs `phonenumbers` only where digits are, public-only IP addresses, and URLs only
when their path names a person. Additions: street addresses, crowd-platform IDs, @handles and
secrets.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
from functools import cache
from importlib import resources
from pathlib import Path

import phonenumbers
import spacy
import tldextract
from english_words import get_english_words_set
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
from spacy.lang.en.stop_words import STOP_WORDS

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
    CONTEXT = [
        "phone",
        "number",
        "telephone",
        "cell",
        "cellphone",
        "mobile",
        "call",
        "tel",
        "whatsapp",
        "text",
        "fax",
    ]
    REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR", "AU", "ES", "IT", "NL", "CN")
    CANDIDATE = re.compile(r"[+(]?\d[\d \t().\-/]{5,}\d(?:\s?(?:x|ext\.?)\s?\d{1,5})?")
    MIN_DIGITS = 7
    WINDOW = 8
    # A number that `phonenumbers` cannot place (no area code, a region not tried, a made-up
    # range) is still a phone number when its label says so: "Phone: 467 3395", "call me on",
    # "+46 (0)8 928 571 38", "(37) 788-063-Office".
    LABEL_BEFORE = re.compile(
        r"\b(?:(?:phone|tel|telephone|mobile|cell|cellphone|fax|desk|office|home|work|whatsapp"
        r"|call|text|ring|dial|reach|answering)\b)(?:\s+(?:number|no\.?|me|us|her|him|them|at|on"
        r"|is|to))*\s*[:#.\-]?\s*$",
        re.IGNORECASE,
    )
    # Written the way phone numbers are written ("810-580-9197", "(555) 010-7788", "+1 234 567
    # 8900"), even in a range no carrier uses: what the leak scan treats as a phone, scrubbed.
    PHONE_SHAPED = re.compile(
        r"(?<![\w.])(?:\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)|\d{1,4})(?:[ .\-]?\d{2,4}){2,4}"
        r"|\(\d{3}\)\s?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4})(?!\w)"
    )
    SHAPED_DIGITS = 9
    LABEL_AFTER = re.compile(r"^\s*[-–(]?\s*(?i:office|home|mobile|cell|fax|work|desk)\b")
    LABELED_SCORE = 0.5
    MAX_DIGITS = 15

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
            found = len(results)
            for region in self.REGIONS:
                for match in phonenumbers.PhoneNumberMatcher(window, region, self.leniency):
                    results.append(self._result(start + match.start, start + match.end, region))
            if len(results) == found:
                shaped = self.PHONE_SHAPED.search(candidate.group())
                if shaped and sum(c.isdigit() for c in shaped.group()) >= self.SHAPED_DIGITS:
                    results.append(
                        self._result(
                            candidate.start() + shaped.start(),
                            candidate.start() + shaped.end(),
                            None,
                        )
                    )
                elif self._labeled(text, candidate):
                    results.append(self._result(candidate.start(), candidate.end(), None))
        return EntityRecognizer.remove_duplicates(results)

    def _labeled(self, text: str, candidate: re.Match) -> bool:
        digits = sum(c.isdigit() for c in candidate.group())
        return digits <= self.MAX_DIGITS and bool(
            self.LABEL_BEFORE.search(text[max(0, candidate.start() - 30) : candidate.start()])
            or self.LABEL_AFTER.match(text[candidate.end() : candidate.end() + 10])
        )

    def _result(self, start: int, end: int, region: str | None) -> RecognizerResult:
        score = self.SCORE if region else self.LABELED_SCORE
        return RecognizerResult(
            entity_type="PHONE_NUMBER",
            start=start,
            end=end,
            score=score,
            analysis_explanation=AnalysisExplanation(
                recognizer=self.name,
                original_score=score,
                textual_explanation=f"valid {region} phone number"
                if region
                else "number labeled as a phone number",
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
# Street names that end in their type, in the languages of Europe: "Søndergade", "Harjukuja".
_STREET_SUFFIXES = (
    r"gade|gata|gatan|gasse|vej|veien|vegen|vei|vägen|väg|katu|kuja|tie|straße|strasse|straat"
    r"|str|laan|weg|plein|torg|torget|stræde|allé|utca"
)
# Street types written before the name: "Rua João Pessoa 1636", "ul. Północna 73".
_STREET_PREFIXES = (
    r"Rua|Rue|Via|Viale|Avenida|Avda\.|Av\.|Calle|Carrer|Strada|Piazza|Plaza|Praça|Largo"
    r"|Travessa|Chemin|Allée|ul\.|ulica|Aleja|Al\."
)
# A word of a street's name, in any script and case ("Søndergade", "πεντέλης", "u.").
_STREET_WORD = r"[^\W\d_][\w'’\-]*\.?"
# What follows a street on the same line or the next ones: unit, city, region, country, postcode.
_CAPITAL = r"[A-ZÀ-ÖØ-ÞĀ-ŽΑ-ΩА-Я]"
_UNIT = r"(?i:apt|apartment|suite|ste|unit|flat|floor|fl|room)\.?[ \t]*#?[\w\-]+"
_POSTCODE = (
    r"(?:[A-Z]{2}[ \t]+)?(?:\d{4,6}(?:-\d{4})?|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d"
    r"|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2})\b"
)
_PLACE = (
    rf"{_CAPITAL}[\w'’.\-]*(?:[ \t]+{_CAPITAL}[\w'’.\-]*){{0,3}}"
    rf"(?:,?[ \t]+{_POSTCODE})?"
)
_ADDRESS_TAIL = (
    rf"(?:(?:[ \t]*,[ \t]*|[ \t]+)(?:{_UNIT}|{_POSTCODE}|{_PLACE})"
    # A line of its own only when the whole line is a part: "Suite 501", "Riisa", ", NI".
    rf"|[ \t]*\n(?:[ \t]*\n)?[ \t>?]*,?[ \t]*(?:{_UNIT}|{_POSTCODE}|{_PLACE})"
    r"(?=[ \t]*(?:\n|$|[,.?!;)]))"
    r"){0,6}"
)
_STREET = (
    # "12 Oak Street", "4B Maple Ave.", "6400 12 Timms Drive", optionally "Apt 5".
    rf"\b\d{{1,6}}[A-Za-z]?,?(?:[ \t]\d{{1,6}})?\s+(?:[A-Z][\w'.-]*\s+){{1,4}}"
    rf"(?:{_STREET_TYPES})\b\.?"
    r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|#)\.?\s*[\w-]+)?"
)
_EUROPEAN_STREET = (
    # "Koskikatu 25", "Rua Diadema 1903", "Király u. 15.": the number after the street name.
    rf"\b(?:(?:{_STREET_PREFIXES})[ \t]+(?:{_STREET_WORD}[ \t]+){{0,3}}{_STREET_WORD}"
    rf"|[^\W\d_][\w'’\-]*(?:{_STREET_SUFFIXES})"
    rf"|{_CAPITAL}[\w'’\-]*[ \t]+(?:u\.|út|tér|krt\.|Stra(?:ss|ß)e|Str\.|Gasse|Allee|Platz))"
    r"[ \t]+\d{1,5}[A-Za-z]?\b\.?"
)
# "20789 Allika 46", "0605 πεντέλης 210": a number, the street's name, the house number.
_NUMBERED_STREET = (
    rf"\b\d{{1,6}}(?:[ \t]\d{{1,6}})?[ \t]+(?:{_STREET_WORD}[ \t]+){{0,3}}{_STREET_WORD}"
    r"[ \t]+(?!(?:19|20)\d\d\b)\d{1,5}[A-Za-z]?\b\.?"
)
# A street without a number, where it is: "shows on Marina Fort Street", "the corner of Inna
# Loop St.".
_NAMED_STREET = (
    r"(?<=\b(?:on|at|of|and|off)[ \t])(?:[A-Z][\w'’\-]*[ \t]+){1,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Loop)\b\.?"
)
# "33 avenue de Provence", "36 rue de pologne", "26 rue des lieutemants Thomazo".
_FRENCH_STREET = (
    r"\b\d{1,5}[ \t]+(?i:rue|avenue|boulevard|chemin|allée|impasse|quai)[ \t]+"
    r"(?:(?:de|du|des|la|le|l['’]|d['’])[ \t]*)*[^\W\d_][\w'’\-]*(?:[ \t]+[A-Z][\w'’\-]*){0,2}"
)
# A postcode after the place it belongs to: "in København K 1421", "in Quinta de São Tiago
# 3610-114", "in ÖVERTURINGEN 840 24" (the place stays, the postcode goes).
_PLACE_POSTCODE = (
    rf"(?<=\b(?:in|at|from)[ \t])(?:{_CAPITAL}[\w'’.\-]*[ \t]+(?:(?:de|da|do|del|di)[ \t]+)?)"
    r"{1,3}\K(?!(?:19|20)\d\d\b)(?:\d{4,5}|\d{3}[ \t]\d{2}|\d{4}-\d{3}|\d{2}-\d{3})(?![\w.,-])"
)
# Military mail: "PSC 4355, Box 4187 / APO AP 28906", "USNS Lopez / FPO AE 12345".
_MILITARY = (
    r"(?i:\b(?:(?:PSC|Unit|CMR)[ \t]+\d{1,5},?[ \t]+Box[ \t]+\d{1,5}|(?-i:USNS|USS|USCGC)"
    r"(?:[ \t]+[A-Z][\w'-]*){1,3}),?\s*[APDF]PO[ \t]+A[AEP][ \t]+\d{5}\b)"
)
# The words between the numbers of `_NUMBERED_STREET` (and of any other street that has them).
_NUMBERED_CORE = re.compile(r"^\d{1,6}(?:[ \t]\d{1,6})?[ \t]+([^\d,\n]+?)[ \t]+\d")
_STREET_KIND = re.compile(rf"(?i:{_STREET_TYPES}|{_STREET_PREFIXES})\.?")
_STREET_SUFFIX = re.compile(rf"(?i:{_STREET_SUFFIXES})$")
_STREET_PARTICLES = {
    "de",
    "do",
    "da",
    "dos",
    "das",
    "del",
    "della",
    "di",
    "du",
    "des",
    "la",
    "le",
    "van",
    "von",
    "der",
    "den",
    "ten",
    "ter",
    "u",
    "ul",
}


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


class StreetAddressRecognizer(DeclaredPatternRecognizer):
    """Street addresses: number, street name and type, then unit, city and postcode if present.

    Forms written all over the world count, not only the American one: the house number after
    the street ("Søndergade 52"), a postcode or a second number before it, street names in lower
    case or other scripts, P.O. and military boxes, and the lines that follow (unit, city,
    country, postcode) as the rest of the same address.
    """

    ENTITY = "STREET_ADDRESS"
    PATTERNS = [
        Pattern("street address (number first)", _STREET + _ADDRESS_TAIL, 0.6),
        Pattern("street address (number after)", _EUROPEAN_STREET + _ADDRESS_TAIL, 0.5),
        Pattern("street address (numbers around)", _NUMBERED_STREET + _ADDRESS_TAIL, 0.5),
        Pattern("unit", r"\b(?:Apt\.?|Apartment|Suite)\s*#?\d{1,5}\b", 0.5),
        Pattern("street named where it is", _NAMED_STREET, 0.5),
        Pattern("French street", _FRENCH_STREET + _ADDRESS_TAIL, 0.5),
        Pattern("postcode after a place", _PLACE_POSTCODE, 0.5),
        Pattern("PO box", r"\b(?:P\.?\s?O\.?\s*|Post)Box\s+\d{1,6}\b" + _ADDRESS_TAIL, 0.6),
        Pattern("military mail", _MILITARY, 0.6),
    ]
    CONTEXT = ["address", "live", "lives", "living", "street", "ship", "mail", "located"]

    def invalidate_result(self, pattern_text: str) -> bool:
        """Words between two numbers name a street, not prose: "3 cats and 2" is no address."""
        core = _NUMBERED_CORE.match(pattern_text)
        if not core:
            return False
        words = re.findall(_STREET_WORD, core.group(1))
        keys = [w.strip(".").casefold() for w in words]
        if any(_STREET_KIND.fullmatch(w) for w in words):
            return False
        if any(k in STOP_WORDS and k not in _STREET_PARTICLES for k in keys):
            return True
        named = any(not w.islower() or _STREET_SUFFIX.search(w) for w in words)
        return not named or all(is_english_word(k) for k in keys)


# What a number or code is introduced as: "order", "ticket", "student id", "passport".
_ID_NOUNS = (
    r"order|purchase[ \t]order|booking|reservation|confirmation|invoice|receipt|transaction"
    r"|payment|quote|gift[ \t]card|voucher|coupon|promo|ticket|case|claim|complaint|incident"
    r"|request|docket|application|applicant|file|account|customer|client|member(?:ship)?"
    r"|loyalty|frequent[ \t]flyer|subscriber|user|library[ \t]card|meter|contract|loan"
    r"|mortgage|policy|insurance|student|employee|staff|badge|payroll|patient|hospital"
    r"|medical[ \t]record|candidate|registration|roll|enrol?ment|matriculation|passport"
    r"|id[ \t]card|identity[ \t]card|national[ \t]id|identification|(?<!driver['’]?s?[ \t])"
    r"(?<!driving[ \t])licen[cs]e|permit|tax|vat|birth[ \t]certificate|certificate|voter"
    r"|social[ \t]insurance|green[ \t]card|visa|tracking|parcel|shipment|waybill|consignment"
    r"|serial|device|imei|warranty|product|return[ \t]authori[sz]ation|delivery|package|lot"
    r"|access|verification|login|username|reference|ref|id|pin|dni|nie|nif|aktenzeichen|expediente"
    r"|dossier|protocolo|pratica|referencia|r[ée]f[ée]rence|r[ée]f|zam[óo]wienie"
    # Compounds of Germanic languages: "Bestellnummer", "klantnummer", "Kundennr".
    r"|\w+(?:nummer|nr)"
)
# What names the value an identifier: "number", "no.", "#", "ID", "code".
_ID_WORDS = (
    r"number|numbers|no\.?|nos\.?|nr\.?|num\.?|n[°º]\.?|id|ids|code|reference|ref\.?"
    r"|key|plate|pin|identifier"
)
# A number introduced in another language: "numéro de commande", "número do pedido", "N° de".
_FOREIGN_ID_LEAD = (
    r"(?:num[ée]ro|n[úu]mero|n[°º]\.?|nr\.?|c[óo]digo|codice)"
    r"(?:[ \t]+(?:(?:de|du|do|da|di|del|della|d['’])[ \t]*)?"
    r"(?!t[ée]l[ée]fon|t[ée]l[ée]phone|m[óo]vil|portable|celular|cellulare|handy)[^\W\d]+)?"
)
# A verb or colon between the lead-in and the value: "is", "est", "ist", "è", ":".
_ID_LINK = r"(?:[ \t]+(?:is|was|are|es|est|ist|è|é|är|er|jest))?[ \t]*[:=]?[ \t]*(?:#[ \t]*)?"
# The value: letters, digits and inner separators, with a digit, not a price or a measure.
_ID_VALUE = (
    r"(?<![\w$€£¥.,/-])(?=[\w/.:-]*\d)[A-Za-z0-9](?:[A-Za-z0-9]|[-/.:](?=[A-Za-z0-9])){2,39}"
    r"(?![\w$%€£-]|[.,]\d|[ \t]*(?:%|(?:units?|pieces?|pcs|items?|boxes|people|users|followers"
    r"|steps|pages|words|rows|times|minutes|hours|days|weeks|months|years|km|kg|g|mb|gb|kb|ms|mg"
    r"|ml|cm|mm|lbs?|dollars|euros|pounds|usd|eur|gbp)\b))"
)


# A word that names an identifier, never part of a person's name: "Rechnungsnummer", "Número".
IDENTIFIER_WORD = re.compile(
    r"(?i:number|no|nr|num|id|ids|code|reference|ref|identifier|num[ée]ro|n[úu]mero"
    r"|\w+(?:nummer|nr)|zam[óo]wienie|expediente|aktenzeichen|dni|nif)"
)


class IdentifierRecognizer(DeclaredPatternRecognizer):
    """A number or code introduced as an identifier: "order #A7712093", "student ID 20231187",
    "passport no. X4471209", "numéro de dossier : DS-77120", "Kundennummer KD77120".

    Only the value is the finding (`\\K` drops the lead-in; Presidio matches with `regex`). A
    version, year, price, quantity or section number has no such lead-in; a bare noun followed
    by digits only ("order 2500 pieces", "the account 2019 report") needs five digits and no
    unit after it, and a date or a year alone is never an identifier.
    """

    ENTITY = "ID_NUMBER"
    PATTERNS = [
        Pattern(
            "value after its name and an identifier word",
            rf"\b(?:(?:{_ID_NOUNS})(?:[ \t]+(?:{_ID_WORDS})(?!\w)\.?"
            rf"|(?=[ \t]+(?:is|was|es|est|ist|è|é|är)\b|[ \t]*[:#]))"
            rf"|(?:id|pin|ref\.?|reference|nr\.?|n[°º]|{_FOREIGN_ID_LEAD})(?!\w)\.?)"
            rf"{_ID_LINK}\K{_ID_VALUE}",
            0.7,
        ),
        Pattern(
            "value after a bare name: with a letter or separator, or of five digits or more",
            rf"\b(?:{_ID_NOUNS})[ \t]+\K(?:(?=[\w/.:-]*[A-Za-z/:-])(?=[\w/.:-]*\d)"
            rf"|(?=\d{{5,}}(?!\w))){_ID_VALUE}",
            0.6,
        ),
    ]
    REGEX_FLAGS = re.IGNORECASE | re.MULTILINE
    # A year, a date, a time of day, a file name.
    NOT_IDENTIFIERS = re.compile(
        r"(?:19|20)\d\d|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|\d{1,2}:\d{2}(?::\d{2})?"
        r"|.*\.[A-Za-z]{1,5}"
    )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None, **kwargs
    ) -> list[RecognizerResult]:
        # Every value has a digit: a text without one is not scanned.
        if not any(c.isdigit() for c in text):
            return []
        return super().analyze(text, entities, nlp_artifacts, **kwargs)

    def invalidate_result(self, pattern_text: str) -> bool:
        """Too short, a year, date, time or file name, or a name in code ("ChatGPT-4",
        "ERC20RebaseDistributor": a capital right after a small letter)."""
        alphanumerics = sum(c.isalnum() for c in pattern_text)
        return (
            alphanumerics < 4
            or bool(self.NOT_IDENTIFIERS.fullmatch(pattern_text))
            or bool(re.search(r"[a-z][A-Z]", pattern_text))
        )


class PlatformIdRecognizer(DeclaredPatternRecognizer):
    """Crowd-platform worker IDs (Prolific and similar): 24 hexadecimal characters."""

    ENTITY = "PLATFORM_ID"
    PATTERNS = [Pattern("24 hex characters", r"(?<![0-9A-Fa-f])[0-9a-f]{24}(?![0-9A-Fa-f])", 0.7)]
    CONTEXT = ["prolific", "worker", "participant", "annotator", "id", "pid"]

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


class PersonalUrlRecognizer(DeclaredPatternRecognizer):
    """URLs that lead to a person: profile pages, user folders, e-mail or name in the query.

    Presidio's URL recognizer takes any dotted word for a URL (`pd.read_csv`, `train.py`) and
    would erase every documentation link a researcher needs; a link names a person when its path
    does, and only then is it personal data.
    """

    ENTITY = "URL"
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
    REGEX_FLAGS = re.DOTALL | re.MULTILINE | re.IGNORECASE  # Presidio's default


class HandleRecognizer(DeclaredPatternRecognizer):
    """@handles of social accounts (not e-mail addresses, decorators or npm scopes)."""

    ENTITY = "USERNAME"
    PATTERNS = [
        Pattern("@handle", r"(?<![\w@./])@[A-Za-z_][A-Za-z0-9_.]{2,29}(?<!\.)(?![\w@/(])", 0.6)
    ]
    CONTEXT = ["follow", "twitter", "instagram", "tiktok", "handle", "dm", "me"]


class SecretRecognizer(DeclaredPatternRecognizer):
    """API keys, tokens, private keys and passwords given in assignments."""

    ENTITY = "SECRET"
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
                    AnalysisExplanation(
                        self.name,
                        self.ASSIGNED_SCORE,
                        textual_explanation="value assigned to a secret",
                    ),
                    {
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results


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


# A capital letter, Latin or accented: "Élodie", "Øyvind".
_UPPER = "[A-ZÀ-ÖØ-Þ]"
# Findings of a name's lead-in score above the NER model's 0.85: Presidio keeps only the higher
# of two findings of the same span, and the lead-in's says that the name is a person's.
LEAD_IN_SCORE = 0.9


def introduced_name_recognizer(supported_language: str = "en") -> CapturedRecognizer:
    """ "My name is Siiri", "Name: Anđa Tomić", "Dear Ms. Rubija": names the NER model misses."""
    return CapturedRecognizer(
        "PERSON",
        "IntroducedNameRecognizer",
        r"(?i:\bmy name is|\bmy name's|\bname:|\bi am called|\bcall me|\bnamed|\bdear|\bsincerely,"
        r"|\bsigns as|\bsigned as|\bsigned by|\bsigns off as|\bmentions"
        r"|\bmaiden name is|\blast name(?: is)?\??|\bsurname(?: is)?\??|\bdirected by:?"
        r"|\bregards,|\bmr\.?|\bmrs\.?|\bms\.?|\bmiss|\bdr\.?|\bprof\.?)\s+"
        rf"(?!(?:Mr|Mrs|Ms|Miss|Dr|Prof)\b)({_UPPER}[^\W\d_]+"
        rf"(?:[ \-](?:[A-Z]\.?\s)?{_UPPER}[^\W\d_]+){{0,3}})",
        LEAD_IN_SCORE,
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


# A capitalized name of up to three words, captured after its lead-in.
_CAPTURED_NAME = rf"\s+({_UPPER}[^\W\d_]+(?:[ \-]{_UPPER}[^\W\d_]+){{0,2}})"
# Lead-ins that announce a name: who the person is to the writer ("my boss Lucas Abbott", "ma
# soeur Zoe"), and self-introductions in the languages users write in ("je m'appelle Lucas").
_NAME_LEAD_INS = (
    (
        "RelationNameRecognizer",
        rf"(?i:\b(?:my|our|his|her|their|ma|mon|mes|mi|mis|meine?|meiner|mia|mio)\s+"
        rf"(?:(?:old|new|little|big|older|younger|best|late|former|dear|petite?|grande?|"
        rf"kleine?r?)\s+)?(?:{_RELATIONS}),?)",
        LEAD_IN_SCORE,
    ),
    (
        "SelfIntroductionRecognizer",
        r"(?i:\bje m['’]appelle|\bmon nom est|\bme llamo|\bmi nombre es|\bich hei(?:ß|ss)e"
        r"|\bmein name ist|\bmi chiamo)",
        LEAD_IN_SCORE,
    ),
)


# Kin and partners, after a possessive name: "Franciska's kid", "I'm Daniel's daughter".
_KIN = (
    r"kids?|sons?|daughters?|child(?:ren)?|baby|sisters?|brothers?|siblings?|wife|husband|"
    r"partner|fianc[eé]e?|girlfriend|boyfriend|mom|mum|mother|dad|father|parents|grandma|grandpa|"
    r"aunt|uncle|cousin|niece|nephew|family|widow|widower"
)


def lead_in_name_recognizers(supported_language: str = "en") -> list[CapturedRecognizer]:
    """One recognizer per kind of lead-in (`_NAME_LEAD_INS`), each explaining its findings,
    and one for a name whose kin follows it ("Franciska's kid")."""
    return [
        *(
            CapturedRecognizer("PERSON", name, lead_in + _CAPTURED_NAME, score, supported_language)
            for name, lead_in, score in _NAME_LEAD_INS
        ),
        CapturedRecognizer(
            "PERSON",
            "KinNameRecognizer",
            rf"\b({_UPPER}[^\W\d_]+)['’]s\s+(?i:{_KIN})\b",
            LEAD_IN_SCORE,
            supported_language,
        ),
    ]


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


# A word of a name: Latin letters (the gazetteer's script), with inner apostrophes and hyphens
# ("O'Brien", "Evans-Bonilla"); a name written against other scripts is a word too ("我叫Priya").
_LATIN = "A-Za-z\u00c0-\u024f"
# A possessive "'s" is not part of the word ("Amanda's daughter").
_NAME_WORD = re.compile(rf"[{_LATIN}]+(?:['’\-](?!s\b)[{_LATIN}]+)*")
# Three or more single words in a series: "Efimiya, Mary, Ariana and Jodi".
_SERIES = re.compile(rf"\b[{_LATIN}]+(?:, [{_LATIN}]+)+,? (?:and|&|or) [{_LATIN}]+\b")
# Lower-case words that stand inside a surname: "Willemine ten Pas", "Ana dos Santos".
NAME_PARTICLES = {
    "van",
    "von",
    "de",
    "der",
    "den",
    "ten",
    "ter",
    "da",
    "di",
    "du",
    "dos",
    "das",
    "del",
    "della",
    "la",
    "le",
    "bin",
    "ibn",
    "al",
    "el",
}
# Capitalized words that end a name rather than continue it: "Isaac Lodge Street", "Mary Ltd".
NAME_ENDS = {w.casefold() for w in _STREET_TYPES.split("|")} | {
    "inc",
    "ltd",
    "llc",
    "gmbh",
    "corp",
    "co",
    "company",
    "group",
    "university",
    "college",
    "school",
    "hospital",
    "bank",
    "foundation",
    "institute",
    "orchestra",
    "band",
    "hotel",
    # Places and buildings: "San Diego Zoo", "Residence Inn", "Neuschwanstein Castle".
    "inn",
    "suites",
    "resort",
    "lodge",
    "hostel",
    "motel",
    "zoo",
    "museum",
    "gallery",
    "palace",
    "castle",
    "tower",
    "bridge",
    "gate",
    "cathedral",
    "church",
    "abbey",
    "temple",
    "mosque",
    "chapel",
    "garden",
    "gardens",
    "market",
    "station",
    "airport",
    "beach",
    "lake",
    "river",
    "island",
    "bay",
    "valley",
    "canyon",
    "falls",
    "mountain",
    "mount",
    "wall",
    "fountain",
    "lagoon",
    "reef",
    "mile",
    "center",
    "centre",
    "mall",
    "stadium",
    "arena",
    "theatre",
    "theater",
    "library",
    "clinic",
    "academy",
    "seat",
    "sign",
    # Employers: "Brightpath Health", "Oakridge Labs", "Sterling Capital".
    "health",
    "labs",
    "lab",
    "capital",
    "partners",
    "systems",
    "solutions",
    "technologies",
    "analytics",
    "logistics",
    "foods",
    "software",
    "studios",
    "media",
    "consulting",
    "medical",
    "pharma",
    "motors",
    "airlines",
    "ventures",
    "holdings",
    "industries",
    "associates",
    "agency",
    "insurance",
    "energy",
    "bros",
    "brothers",
    # Works and languages: "Elden Ring", "Mario Bros", "Wolfram Language".
    "language",
    "ring",
    "saga",
    "chronicles",
}
# What ends the text before a sentence: a capitalized common word after it is no evidence.
_SENTENCE_BREAKS = '.!?:;\n"“(>-*•'
# spaCy labels under which a lone given name is more likely a place or a people ("Georgia").
_PLACE_LABELS = {"GPE", "LOC", "FAC", "NORP", "LANGUAGE"}
# The small spaCy model calls many popular names places ("Why is Rebecca so impulsive?"): a
# popular name is a place only after a word that introduces one ("in Georgia", "to Austin").
_PLACE_LEAD = re.compile(
    r"(?i:\b(?:in|at|from|to|near|into|across|around|of|visit(?:ed|ing)?|via|toward|towards)\s+)$"
)
# Endings of surnames from many countries: "Sokolov", "Šušulić", "Ásgeirsdóttir", "Andersson".
_SURNAME_ENDING = re.compile(
    r"(?:ov|ova|ev|eva|ovich|evich|ović|vić|ić|ič|ski|ska|sky|skaya|cki|cka|enko|escu|oglu|oğlu"
    r"|dóttir|dottir|sson|poulos|akis|idis|chuk|[aeiu]\w{2,}ez)$"
)
_COORDINATION = re.compile(r",\s*|\s+(?:and|or|&|from|to|near)\s+")
# Travel and place words in a sentence: "Is Madison a good city?", "I loved Sydney and want to
# go back".
TRAVEL = re.compile(
    r"(?i:\b(?:city|cities|village|country|capital|trip|travel\w*|visit\w*|flight|fly|flew"
    r"|ferry|weather|beach|beaches|holiday|vacation|airport|downtown|go back|suburbs?)\b)"
)
# Lead-ins after which even a lower-case word is a name: "my name is vitoria".
_INTRODUCTION = re.compile(
    r"(?i:\bmy (?:first |last |maiden )?name(?: is|'s|’s)|\bi am called|\bi['’]m called"
    r"|\b(?:people|everyone|everybody|they|friends) call(?:s)? me|\bsurname is)\s+"
)


def sentence_around(text: str, start: int, end: int) -> str:
    """The text around a span, to the nearest sentence ends (at most 150 characters away)."""
    left = text[max(0, start - 150) : start]
    right = text[end : end + 150]
    cut = max(left.rfind(c) for c in ".!?\n")
    stop = min((i for i in (right.find(c) for c in ".!?\n") if i >= 0), default=len(right))
    return left[cut + 1 :] + text[start:end] + right[:stop]


@cache
def given_names() -> tuple[frozenset[str], frozenset[str]]:
    """Given names of many countries (casefolded), and those popular in English-speaking ones.

    From the data of `gender-guesser` (Jörg Michael's `nam_dict.txt`, about 45,000 names, GNU
    FDL), which does not come from Faker. Its columns 30 to 32 give each name's frequency in
    Great Britain, Ireland and the USA ("1" rare to "D" most common).
    """
    data = resources.files("gender_guesser").joinpath("data/nam_dict.txt")
    names: set[str] = set()
    popular: set[str] = set()
    with data.open(encoding="utf-8") as lines:
        for line in lines:
            if line[0] in "#=":
                continue
            name = line.split()[1].replace("+", "-").casefold()
            names.add(name)
            if any(c not in " 12" for c in line[30:33]):
                popular.add(name)
    return frozenset(names), frozenset(popular)


@cache
def foreign_stop_words() -> frozenset[str]:
    """Stop words of the other languages users write in ("mein", "mi", "una"), less the popular
    given names among them ("sara", "ben")."""
    words: set[str] = set()
    for language in ("fr", "es", "de", "it", "pt", "nl"):
        # The list's own file: importing `spacy.lang.fr` would build French tokenizer exceptions
        # (three seconds per process).
        path = Path(spacy.__file__).parent / "lang" / language / "stop_words.py"
        spec = importlib.util.spec_from_file_location(f"stop_words_{language}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        words |= module.STOP_WORDS
    popular = given_names()[1]
    return frozenset(w for w in words if w not in popular or w in _ARTICLES_NAMED)


# Articles and prepositions that are also given names: "una", "della".
_ARTICLES_NAMED = {"una", "con", "des", "della", "del"}


@cache
def english_words() -> frozenset[str]:
    """Lower-case English words (Webster's Second, from `english-words`)."""
    return frozenset(w for w in get_english_words_set(["web2"]) if w.islower())


def is_english_word(key: str) -> bool:
    """A casefolded word the list has, or an inflection of one ("cats", "boxes", "parked",
    "planning", "cities")."""
    words = english_words()
    return (
        key in words
        or any(
            key.endswith(end)
            and (
                key[: -len(end)] in words
                or (
                    len(key) > len(end) + 2
                    and key[-len(end) - 1] == key[-len(end) - 2]
                    and key[: -len(end) - 1] in words
                )
            )
            for end in ("s", "es", "ed", "ing")
        )
        or (key.endswith("ies") and key[:-3] + "y" in words)
    )


class GivenNameRecognizer(LocalRecognizer):
    """A capitalized given name and the surname that follows: "Faina D. Yefremova".

    The small spaCy model calls many names of non-English origin ORG or GPE, or misses them; a
    gazetteer of given names from many countries finds them. A lone given name that is also a
    common word ("Will", "Grace") counts only mid-sentence or with a surname after it.

    Chat is often typed in lower case: a given name that is no English word followed by a word that
    is none either ("lena andersson") is a name too, and so is every name of a series in which
    most words are given names ("they had 3: silvana, adam and caleb").
    """

    NAME = "GivenNameRecognizer"
    SCORE = 0.6
    LONE_SCORE = 0.55

    def __init__(self, supported_language: str = "en"):
        super().__init__(
            supported_entities=["PERSON"], supported_language=supported_language, name=self.NAME
        )

    def load(self) -> None:
        self.names, self.popular = given_names()
        self.words = english_words()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        words = list(_NAME_WORD.finditer(text))
        places = self._place_spans(text, nlp_artifacts)
        results = self._series(text, places) + self._introduced(text)
        index = 0
        while index < len(words):
            word = words[index].group()
            key = word.casefold()
            if word.islower():
                last = self._lower_case_name(text, words, index)
                if last > index:
                    results.append(
                        self._result(words[index].start(), words[last].end(), self.LONE_SCORE)
                    )
                index = last + 1
                continue
            if not (
                word[0].isupper()
                and not word[1:].isupper()
                and key in self.names
                and key not in STOP_WORDS
            ):
                last = self._unknown_name(text, words, index, places)
                if last is not None:
                    results.append(
                        self._result(words[index].start(), words[last].end(), self.LONE_SCORE)
                    )
                index = index + 1 if last is None else last + 1
                continue
            last = self._extend(text, words, index)
            start, end = words[index].start(), words[last].end()
            if last > index:
                results.append(self._result(start, end, self.SCORE))
            elif self._lone_name(text, word, start, end, places) and not self._names_a_thing(
                text, words, index
            ):
                results.append(self._result(start, end, self.LONE_SCORE))
            index = last + 1
        return results

    def _unknown_name(
        self, text: str, words: list[re.Match], index: int, places: list[tuple[int, int]]
    ) -> int | None:
        """The last word of a name the gazetteer lacks, or None.

        Two capitalized words that no dictionary knows ("Wisława Szczepańska", "Csanád P Gere"),
        or one with a surname's ending ("Sokolov", "Šušulić").
        """
        if not self._unknown_word(words[index], places):
            return None
        following = index + 1
        if (
            following + 1 < len(words)
            and len(words[following].group()) == 1
            and words[following].group().isupper()
            and text[words[index].end() : words[following].start()] == " "
        ):
            following += 1
        if (
            following < len(words)
            and text[words[following - 1].end() : words[following].start()] in (" ", ". ")
            and (following > index + 1 or text[words[index].end()] == " ")
            and self._unknown_word(words[following], places)
            and not self._names_a_thing(text, words, following)
        ):
            return following
        word = words[index].group()
        if (
            len(word) >= 5
            and _SURNAME_ENDING.search(word)
            and not self._names_a_thing(text, words, index)
        ):
            return index
        return None

    @staticmethod
    def _unknown_word(word: re.Match, places: list[tuple[int, int]]) -> bool:
        """A capitalized word (not an acronym, no inner capital) that no dictionary knows."""
        text, key = word.group(), word.group().casefold()
        return (
            len(text) >= 2
            and text[0].isupper()
            and text[1:].islower()
            and key not in STOP_WORDS
            and key not in NAME_ENDS
            and not is_english_word(key)
            and not any(s <= word.start() and word.end() <= e for s, e in places)
        )

    def _introduced(self, text: str) -> list[RecognizerResult]:
        """A lower-case name after a self-introduction: "my name is borna jerković"."""
        results = []
        for lead in _INTRODUCTION.finditer(text):
            words: list[re.Match] = []
            for word in _NAME_WORD.finditer(text, lead.end()):
                key = word.group().casefold()
                if words:
                    gap = text[words[-1].end() : word.start()]
                    named = len(key) == 1 or not (key in STOP_WORDS or is_english_word(key))
                    if len(words) == 3 or gap not in (" ", ". ") or not named:
                        break
                elif (
                    word.start() != lead.end()
                    or not word.group().islower()
                    or len(key) < 2
                    or key in STOP_WORDS
                    or (is_english_word(key) and key not in self.names)
                ):
                    break
                words.append(word)
            while len(words) > 1 and len(words[-1].group()) == 1:
                words.pop()
            if words:
                results.append(self._result(words[0].start(), words[-1].end(), self.LONE_SCORE))
        return results

    def _lower_case_name(self, text: str, words: list[re.Match], index: int) -> int:
        """The index of a lower-case name's surname ("eva kleist", "benjamin a seiler"), if any."""
        if not self._foreign_name(words[index].group()):
            return index
        last = index + 1
        if (
            last + 1 < len(words)
            and len(words[last].group()) == 1
            and text[words[index].end() : words[last].start()] == " "
        ):
            last += 1
        if last >= len(words) or text[words[last - 1].end() : words[last].start()] not in (
            " ",
            ". ",
        ):
            return index
        surname = words[last].group()
        key = surname.casefold()
        if not surname.islower() or len(surname) < 2 or key in STOP_WORDS or is_english_word(key):
            return index
        return last

    def _foreign_name(self, word: str) -> bool:
        """A given name that no English word or stop word shares: "silvana", not "will", nor
        "una" ("necesito una carta")."""
        key = word.casefold()
        return (
            len(word) >= 3
            and key in self.names
            and key not in STOP_WORDS
            and key not in foreign_stop_words()
            and not is_english_word(key)
        )

    def _series(self, text: str, places: list[tuple[int, int]]) -> list[RecognizerResult]:
        """The names of a series, none of them a place, in which most words are given names, or
        all are capitalized words no dictionary knows and one is a name ("Kónya, Becker and
        Vasquez")."""
        results = []
        for series in _SERIES.finditer(text):
            items = [
                w for w in _NAME_WORD.finditer(series.group()) if w.group() not in ("and", "or")
            ]
            names = sum(
                self._foreign_name(w.group()) or w.group().casefold() in self.popular for w in items
            )
            surnames = sum(bool(_SURNAME_ENDING.search(w.group())) for w in items)
            unknown = all(
                w.group()[0].isupper()
                and (
                    w.group().casefold() in self.names
                    or not (
                        w.group().casefold() in STOP_WORDS or is_english_word(w.group().casefold())
                    )
                )
                for w in items
            )
            if (names * 2 < len(items) and not (unknown and names + surnames)) or any(
                s < series.end() and series.start() < e for s, e in places
            ):
                continue
            for item in items:
                key = item.group().casefold()
                if self._foreign_name(item.group()) or not (
                    key in STOP_WORDS or is_english_word(key)
                ):
                    start = series.start() + item.start()
                    results.append(self._result(start, start + len(item.group()), self.LONE_SCORE))
        return results

    def _extend(self, text: str, words: list[re.Match], index: int) -> int:
        """The index of the name's last word: surnames, initials and particles after the first."""
        last = index
        while last + 1 < len(words):
            gap = text[words[last].end() : words[last + 1].start()]
            if gap not in (" ", ". ") or (gap == ". " and len(words[last].group()) > 1):
                break
            following = words[last + 1].group()
            if (
                following in NAME_PARTICLES
                and last + 2 < len(words)
                and words[last + 2].group()[0].isupper()
                and text[words[last + 1].end() : words[last + 2].start()] == " "
            ):
                last += 2
            elif (
                following[0].isupper()
                and following.casefold() not in STOP_WORDS
                and following.casefold() not in NAME_ENDS
            ):
                last += 1
            else:
                break
        return last

    def _lone_name(
        self, text: str, word: str, start: int, end: int, places: list[tuple[int, int]]
    ) -> bool:
        """A lone given name: not a place, and not a word unless a popular name mid-sentence."""
        key = word.casefold()
        if len(word) < 3 or any(s <= start and end <= e for s, e in places):
            return False
        if key not in self.words:
            return True
        return key in self.popular and self._mid_sentence(text, start)

    @staticmethod
    def _names_a_thing(text: str, words: list[re.Match], index: int) -> bool:
        """ "Hope Street", "Julia Ltd": the name of a street or a company, not a person."""
        return (
            index + 1 < len(words)
            and words[index + 1].group().casefold() in NAME_ENDS
            and text[words[index].end() : words[index + 1].start()] == " "
        )

    def _place_spans(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[tuple[int, int]]:
        """What the NER model calls a place. A popular given name mid-sentence is one only after
        "in", "to"..., next to another place ("Georgia and Jordan") or among travel words ("Is
        Madison a good city?")."""
        if nlp_artifacts is None or nlp_artifacts.tokens is None:
            return []
        places = [e for e in nlp_artifacts.tokens.ents if e.label_ in _PLACE_LABELS]
        kept = []
        for index, place in enumerate(places):
            start, end = place.start_char, place.end_char
            neighbours = [text[p.end_char : start] for p in places[:index]] + [
                text[end : p.start_char] for p in places[index + 1 :]
            ]
            if (
                place.text.casefold() not in self.popular
                or not self._mid_sentence(text, start)
                or _PLACE_LEAD.search(text[max(0, start - 20) : start])
                or any(_COORDINATION.fullmatch(gap) for gap in neighbours)
                or TRAVEL.search(sentence_around(text, start, end))
            ):
                kept.append((start, end))
        return kept

    @staticmethod
    def _mid_sentence(text: str, start: int) -> bool:
        before = text[max(0, start - 40) : start].rstrip(" \t")
        return bool(before) and before[-1] not in _SENTENCE_BREAKS

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult(
            "PERSON",
            start,
            end,
            score,
            AnalysisExplanation(self.name, score, textual_explanation="given name"),
            {
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


def driver_license_recognizer(supported_language: str = "en") -> CapturedRecognizer:
    """A number called a driver's license number, in any state's format (Presidio's own
    patterns score a plain run of digits too low to count, context or not)."""
    return CapturedRecognizer(
        "US_DRIVER_LICENSE",
        "DriverLicenseRecognizer",
        r"(?i:\bdriv(?:er['’]?s?|ing)[ \-]licen[cs]e(?:\s+(?:number|no\.?|#|id))?"
        r"(?:\s+is)?\s*[:#]?)\s*(?<![\w-])((?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{4,18})\b",
        0.7,
        supported_language,
    )


def postcode_recognizer(supported_language: str = "en") -> CapturedRecognizer:
    """A postcode given as such ("my zip code is 2200", "ZIP: 7412 SL"): part of an address."""
    return CapturedRecognizer(
        "STREET_ADDRESS",
        "PostcodeRecognizer",
        r"(?i:\b(?:zip(?:\s?code)?|postal\s?code|post\s?code)(?:\s+is)?\s*[:#]?)"
        r"\s*(?<![\w-])(\d{3,5}(?:[ \-]\d{2,4}|\s[A-Z]{2})?|[A-Z]\d[A-Z]\s?\d[A-Z]\d"
        r"|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})(?![\w-])",
        0.6,
        supported_language,
    )
