"""Street addresses, P.O. and military boxes, and postcodes given as such."""

from __future__ import annotations

import re

from presidio_analyzer import (
    Pattern,
)
from spacy.lang.en.stop_words import STOP_WORDS

from pipelines.privacy.recognizers.base import CapturedRecognizer, DeclaredPatternRecognizer
from pipelines.privacy.recognizers.words import STREET_TYPES, is_english_word

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
    r"(?:[A-Z]{2}[ \t]+)?(?:\d{4,6}(?:-\d{4})?|\d{3}[ \t]\d{2}|\d{2}-\d{3}"
    r"|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2})\b"
)
_PLACE = (
    rf"{_CAPITAL}[\w'’.\-]*(?:[ \t]+{_CAPITAL}[\w'’.\-]*){{0,3}}"
    rf"(?:,?[ \t]+{_POSTCODE})?"
)
# A word of a place after a comma or on a line of its own, in any case or script ("sé", "nan",
# "ΧΑΝ∆ΡΙΑ"), but not a word that goes on with the sentence ("and", "please", "thanks").
_SENTENCE_WORDS = [
    *("and", "or", "but", "then", "to", "the", "a", "an", "in", "on", "at", "with", "after"),
    *("before", "because", "so", "if", "it", "is", "i", "we", "you", "he", "she", "they"),
    *("please", "thanks", "thank", "which", "that", "where", "when", "for", "this", "my", "our"),
    *("your", "best", "kind", "regards", "sincerely", "cheers", "mobile", "phone", "tel"),
    *("email", "desk", "fax"),
]
_LOOSE_WORD = (
    r"(?!(?:"
    + "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in _SENTENCE_WORDS)
    + r")\b)(?:[^\W\d_]|∆)[\w'’.\-∆]*"
)
_LOOSE_PLACE = (
    rf"{_LOOSE_WORD}(?:[ \t]+(?:{_LOOSE_WORD}|\([^()\n]{{1,30}}\))){{0,4}}"
    rf"(?:,?[ \t]+{_POSTCODE})?"
)
_ADDRESS_TAIL = (
    rf"(?:[ \t]+(?:{_UNIT}|{_POSTCODE}|{_PLACE})"
    rf"|[ \t]*,[ \t]*(?:{_UNIT}|{_POSTCODE}|{_LOOSE_PLACE})"
    # A line of its own only when the whole line is a part: "Suite 501", "Riisa", ", NI", "700".
    rf"|[ \t]*\n(?:[ \t]*\n)?[ \t>?]*,?[ \t]*(?:{_UNIT}|{_POSTCODE}|{_LOOSE_PLACE}|\d{{3}})"
    r"(?=[ \t]*(?:\n|$|[,.?!;)]))"
    # A country and its postcode on the last line, the sentence going on: "Spain 97197 in case".
    rf"|[ \t]*\n(?:[ \t]*\n)?[ \t>?]*{_PLACE}[ \t]+\d{{4,6}}\b"
    r"){0,6}"
)
_STREET = (
    # "12 Oak Street", "4B Maple Ave.", "6400 12 Timms Drive", optionally "Apt 5".
    rf"\b\d{{1,6}}[A-Za-z]?,?(?:[ \t]\d{{1,6}})?\s+(?:[A-Z][\w'.-]*\s+){{1,4}}"
    rf"(?:{STREET_TYPES})\b\.?"
    r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|#)\.?\s*[\w-]+)?"
)
_EUROPEAN_STREET = (
    # "Koskikatu 25", "Rua Diadema 1903", "Király u. 15.": the number after the street name.
    rf"\b(?:\d{{1,6}}[ \t]+)?"
    rf"(?:(?:{_STREET_PREFIXES})[ \t]+(?:{_STREET_WORD}[ \t]+){{0,5}}{_STREET_WORD}"
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
    r"\b(?:\d{1,6}[ \t]+)?\d{1,5}[ \t]+(?i:rue|avenue|boulevard|chemin|allée|impasse|quai)[ \t]+"
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
    r"(?i:\b(?:(?:PSC|Unit|CMR)[ \t]+\d{1,5},?[ \t]+Box[ \t]+\d{1,5}|(?:USNS|USNV|USS|USCGC)"
    r"(?:[ \t]+[A-Z][\w'-]*){1,3}),?\s*[APDF]PO[ \t]+A[AEP][ \t]+\d{5}\b)"
)
# Street types of the English-speaking world beyond the common ones ("Pinto Hill", "Sieda Radial").
_MORE_STREET_ENDS = (
    r"Bypass|Radial|Turnpike|Route|Coves?|Pass|Union|Greens?|Harbou?r|Mills?|Flats?|Forges?"
    r"|Club|Trail|Bridge|Courts?|Forks?|Rapids|Hills?|Point|Summit|Dam|Crossroad|Crossing"
    r"|Heights|Gardens|Park|Ridge|Grove|Glen|Meadows?|Landing|Junction|Manor|Estates?|Vista"
    r"|Walk|Path|Pike|Plaza|Expressway|Freeway|Creek|Brook|Shores?|Springs|Valley|Village"
)
_CROSS_PART = (
    rf"(?:\d{{1,6}}[ \t]+)?(?:(?:{_STREET_PREFIXES})[ \t]+)?(?:{_STREET_WORD}[ \t]+){{0,3}}"
    rf"{_STREET_WORD}(?:[ \t]+\d{{1,5}}\b\.?)?"
)
# "the corner of 159 Eleftheriou Venizelou str and Rennie Union", "corner of ul. Cicha 86 and
# Leokadia Trail": two streets, one with a number or a street type (checked after the match).
_CORNER = (
    rf"(?i:\bthe[ \t]+)?(?i:corner[ \t]+of)[ \t]+{_CROSS_PART}[ \t]+(?:and|&)[ \t]+"
    rf"(?:\d{{1,6}}[ \t]+)?(?:{_STREET_WORD}[ \t]+){{0,2}}{_STREET_WORD}"
)
_CORNER_STREET = re.compile(
    rf"\d|\b(?i:{STREET_TYPES}|{_STREET_PREFIXES}|{_MORE_STREET_ENDS})\b|\w(?:{_STREET_SUFFIXES})\b"
)
# "Aqqusinersuaq 176 Pinto Hill", "Storgarden 52 Trajanka Forks": a house number between a
# street's name and its type.
_SPLIT_STREET = (
    rf"\b(?!I\b){_CAPITAL}[\w'’\-]*\.?(?:[ \t]+{_LOOSE_WORD}){{0,2}}[ \t]+\d{{1,5}}[ \t]+"
    rf"(?:(?:[A-Z][\w'’\-]*|van|von|de|der|ten)[ \t]+){{1,2}}"
    rf"(?:{_MORE_STREET_ENDS}|{STREET_TYPES})\b\.?"
)
# "Nieuwe Baan 473 St.", "hegyalja út 98. st.": a street's name and number, "St." after them.
_STREET_THEN_TYPE = (
    rf"(?<=\b(?:on|at|of|to|in|and)[ \t])(?:{_STREET_WORD}[ \t]+){{0,3}}{_STREET_WORD}[ \t]+"
    r"\d{1,5}\b\.?(?=[ \t]+(?i:st\.|st\b|street\b))"
)
# The words between the numbers of `_NUMBERED_STREET` (and of any other street that has them).
_NUMBERED_CORE = re.compile(r"^\d{1,6}(?:[ \t]\d{1,6})?[ \t]+([^\d,\n]+?)[ \t]+\d")
_STREET_KIND = re.compile(rf"(?i:{STREET_TYPES}|{_STREET_PREFIXES})\.?")
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
        Pattern(
            "PO box",
            r"\b(?:\d{1,6}[ \t]+)?(?i:P\.?\s?O\.?\s*|Post)(?i:Box)\s+\d{1,6}\b" + _ADDRESS_TAIL,
            0.6,
        ),
        Pattern("intersection", _CORNER, 0.5),
        Pattern("house number inside the street", _SPLIT_STREET + _ADDRESS_TAIL, 0.5),
        Pattern("street then its type", _STREET_THEN_TYPE, 0.5),
        Pattern("military mail", _MILITARY, 0.6),
    ]
    CONTEXT = ["address", "live", "lives", "living", "street", "ship", "mail", "located"]

    def invalidate_result(self, pattern_text: str) -> bool:
        """Words between two numbers name a street, not prose: "3 cats and 2" is no address; at
        "the corner of" two things, one is a street by its number or type."""
        if pattern_text[:1] in "tTcC" and re.match(r"(?i:the\s+)?corner\s", pattern_text):
            return not _CORNER_STREET.search(pattern_text)
        core = _NUMBERED_CORE.match(pattern_text)
        if core and re.search(r"(?i)box\b", core.group(1)):
            return False
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
