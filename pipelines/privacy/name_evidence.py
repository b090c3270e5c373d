"""What makes a capitalized phrase a person's name rather than a thing's.

The small English NER model calls many places, products, works, grape varieties and words of
other languages persons. A finding that no lead-in announces is dropped only on evidence that it
is not a name (`evidence_against_name`: a known place, ordinary English words only, a word the
text uses as a common noun, a word of another language, ...) and when nothing speaks for a name
(`has_name_evidence`); a capitalized word that is neither ("Dzhambek") stays a name. Evidence for
a name:

- a word of it is a given name (`given_name_word`): one the gazetteer holds that is no English
  word ("Luigi", "Ayumi"), or an English word that is a common given name in Europe, the
  Americas or the Middle East ("Lydia", "Tilly", "Casey"; not "Moon", "Young", "Cat", "Boy",
  which the gazetteer holds as rare names or as names of East Asia only);
- a word of it has a surname's ending ("Shevchenko", "Kowalski", "Seppinen");
- it has the shape of a full name: two or three capitalized words, none an English word nor
  used in the plural in the text, in a text in English ("Gyala Antall"; not "Omni Saiyan"
  beside "Saiyans", nor "Contrat Madelin" in French), a first name, an initial and a surname
  ("Mijail C Adomo"), or a name with a surname particle ("Maika van de Noort");
- a title stands before it ("Ms. Amps"), or the words around this mention or another of the
  same name make it a person's: a verb of saying or addressing, "by", "called" or "my name is"
  before it ("says Joly", "Reply to Seraphina Loy", "was called Yulan Peres"), another name
  joined to it ("Marrero and Murphy") or a series of mostly given names around it, a
  possessive ("Meza's song", "Consumer Reports's Impi Nummelin"), a request addressed to it
  ("Kuba, can I"), a verb of what people do after it ("Reed spent"), or any verb after it at a
  sentence's start ("Dzhambek is from").

A country, state or region of two words or more (`quasi_identifiers.is_kept_place`: "Uttar
Pradesh") is no name, nor a word and a letter ("Strep A", "Vitamin C").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources

from presidio_analyzer import RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from pipelines.privacy.gazetteer import cities
from pipelines.privacy.name_roles import listed_prefixes, public_by_role
from pipelines.privacy.quasi_identifiers import COUNTRY_NAME_LANGUAGES, is_kept_place
from pipelines.privacy.recognizers import (
    NAME_PARTICLES,
    foreign_stop_words,
    given_names,
    is_english_word,
    is_given_name,
    mid_sentence,
)
from pipelines.privacy.recognizers.name_rules import NAME_WORD, SURNAME_ENDING
from pipelines.privacy.recognizers.words import latin_spellings

# Columns of the gazetteer's frequencies (see `words.given_names`) from Great Britain to Israel:
# the countries before China, Japan, Korea and Vietnam, whose romanized names ("Moon", "Young",
# "Oh") are English words as often as names in the texts the scrubber reads.
_WESTERN_COLUMNS = slice(30, 79)
# A frequency of 3 on the gazetteer's scale of 1 (rare) to 13: about 0.03 % of a country's people.
_COMMON = 3
# The frequency digits (hexadecimal) from `_COMMON` up: a line is read by which characters it has,
# not by converting each of its columns (a fifth of a second per process, before any text).
_COMMON_DIGITS = frozenset(c for v in range(_COMMON, 16) for c in (f"{v:x}", f"{v:X}"))
# What is said of people right before or after their name.
_PERSON_BEFORE = re.compile(
    r"(?:\b(?:says|said|asks|asked|told|tells|by|and|&|thank|thanks|hi|hello|hey|called"
    r"|named|name is|name's|call me|name:|tell|remind|invite|congratulate|email|e-mail|text"
    r"|(?:reply|replies|write|wrote|talk|talked|speak|spoke|introduce|forward)[ \t]+to)|['’]s)"
    r"[ \t]+$",
    re.IGNORECASE,
)
_PERSON_AFTER = re.compile(
    r"^(?:['’]s\b|,[ \t]+(?:can|could|would|will|please)\b|[ \t]+(?:and|&)[ \t]+[A-Z]"
    r"|[ \t]+(?:says|said|asked|told|replied|spent|lives|lived|works|worked|wrote|writes|went"
    r"|wants|needs|thinks|thought|felt|feels|loves|likes|knows|sent|called|came|left|became)\b)"
)
# The next word of a series of names: "Wiki, elliot", "Kye,Liam and Az".
_SERIES_BEFORE = re.compile(r"([^\W\d_]{2,})(?:,[ \t]*|[ \t]+(?:and|&)[ \t]+)$")
_SERIES_AFTER = re.compile(r"^(?:,[ \t]*|,?[ \t]+(?:and|&)[ \t]+)([^\W\d_]{2,})\b")
_SERIES = re.compile(
    r"[^\W\d_]+(?:,[ \t]*[^\W\d_]+){2,},?[ \t]+(?:and|&)[ \t]+[^\W\d_]+"
    r"|[^\W\d_]+(?:,[ \t]*[^\W\d_]+){3,}"
)
# Endings of surnames that `name_rules.SURNAME_ENDING` leaves out because they end common words
# too, safe as evidence for a capitalized word the NER model or the gazetteer found: "Seppinen",
# "Lundberg", "Bošnjak", "Ahtisaari".
_SURNAME_ENDING = re.compile(r"(?:nen|berg|stein|mann|ssen|sen|aari|jak|nak)$")
# The subject of a sentence: "Dzhambek is from Civic Impulse LLC".
_SUBJECT_AFTER = re.compile(r"^[ \t]+(?:is|was|has|had|will|would)\b")
_ELIDED = re.compile(r"(?i:l|j|qu|c|s|n|m)['’]\w")
_CITY_ZONES = {"Africa", "America", "Asia", "Australia", "Europe"}
_COMPASS = {"north", "south", "east", "west", "central", "upper", "lower"}
_ARTICLE_BEFORE = re.compile(r"\b(?:the|a|an)[ \t]+$", re.IGNORECASE)
_INITIAL_NAME = re.compile(r"^[A-Z][^\W\d_]+[ \t]+[A-Z]\.?[ \t]+[A-Z][^\W\d_]+$")
_PARTICLE_NAME = re.compile(
    rf"^[A-Z][^\W\d_]+(?:[ \t]+(?:{'|'.join(sorted(NAME_PARTICLES))}))+[ \t]+[A-Z][^\W\d_]+$"
)


@cache
def _common_names() -> frozenset[str]:
    """Given names (casefolded) at least `_COMMON` frequent in some country of Europe, the
    Americas or the Middle East."""
    data = resources.files("gender_guesser").joinpath("data/nam_dict.txt")
    common: set[str] = set()
    with data.open(encoding="utf-8") as lines:
        for line in lines:
            if line[0] in "#=":
                continue
            if not _COMMON_DIGITS.isdisjoint(line[_WESTERN_COLUMNS]):
                common.add(line.split()[1].replace("+", "-").casefold())
    return frozenset(common)


def given_name_word(word: str) -> bool:
    """A word that names people: a popular given name, one of the gazetteer's that is neither an
    English word nor a function word, or an English word common as a given name."""
    key = word.casefold()
    if latin_spellings(key):
        return is_given_name(key)
    names, popular = given_names()
    if key in popular:
        return True
    if len(key) < 2 or key not in names or key in STOP_WORDS or key in foreign_stop_words():
        return False
    return not is_english_word(key) or key in _common_names()


def full_name_shape(words: list[str], name: str) -> bool:
    """Two or three capitalized words, none an English or a function word ("Gyala Antall"), a
    first name, an initial and a surname ("Mijail C Adomo"), or a name with a particle."""
    if _INITIAL_NAME.match(name) or _PARTICLE_NAME.match(name):
        return True
    return 2 <= len(words) <= 3 and all(
        w[0].isupper()
        and w[1:].islower()
        and w.casefold() not in STOP_WORDS
        and not is_english_word(w.casefold())
        for w in words
    )


@lru_cache(maxsize=16)
def foreign_text(text: str) -> bool:
    """Among the text's first 80 words, five function words of French, Spanish, German, Italian,
    Portuguese or Dutch at least, and more than twice as many as of English."""
    words = [w.casefold() for w in re.findall(r"[^\W\d_]+", text[:1000])[:80]]
    foreign = sum(w in foreign_stop_words() and w not in STOP_WORDS for w in words)
    return foreign >= 5 and foreign > 2 * sum(w in STOP_WORDS for w in words)


def _in_series_of_names(text: str, start: int, end: int) -> bool:
    """`text[start:end]` is an item of a series of four words or more, most of them given names."""
    window_start = max(0, start - 200)
    for series in _SERIES.finditer(text[window_start : end + 200]):
        if series.start() + window_start <= start and end <= series.end() + window_start:
            items = [w for w in re.findall(r"[^\W\d_]+", series.group()) if w != "and"]
            return sum(map(given_name_word, items)) * 2 > len(items)
    return False


@cache
def _cities() -> frozenset[str]:
    """Cities of the time-zone database and Babel's names for them, casefolded: "Lisbon",
    "Kolkata", "Bogotá". Only the continents' zones named after a city: those of Antarctica's
    stations and of states' counties ("Davis", "Knox") are surnames as often."""
    import zoneinfo

    from babel import Locale

    names = {
        zone.split("/")[1].replace("_", " ").casefold()
        for zone in zoneinfo.available_timezones()
        if zone.count("/") == 1 and zone.split("/")[0] in _CITY_ZONES
    }
    names |= {v["city"].casefold() for v in Locale("en").time_zones.values() if "city" in v}
    return frozenset(names)


def _used_as_common_noun(word: str, text: str) -> bool:
    """The text uses `word` in the plural ("Omni Saiyan" ... "Saiyans") or in lower case after a
    determiner ("Format" ... "the format")."""
    if len(word) < 3 or not word[0].isupper():
        return False
    lower = re.escape(word.lower())
    return bool(
        re.search(rf"\b{re.escape(word)}s\b", text)
        or re.search(rf"\b(?:a|an|the|this|that|my|your|our|their|its|his|her)\s+{lower}\b", text)
    )


@cache
def _months_and_days() -> frozenset[str]:
    """Names of months and days in the languages whose country names `kept_places` holds:
    "Oktober", "Jeudi"."""
    from babel import Locale

    names: set[str] = set()
    for language in COUNTRY_NAME_LANGUAGES:
        locale = Locale(language)
        for width in ("wide", "abbreviated"):
            names |= {m.casefold() for m in locale.months["format"][width].values()}
            names |= {d.casefold() for d in locale.days["format"][width].values()}
    return frozenset(n.rstrip(".") for n in names if len(n) > 2)


def _place_word(key: str) -> bool:
    return is_kept_place(key) or key in _cities() or key in cities()


def evidence_against_name(text: str, start: int, end: int, words: list[str]) -> bool:
    """Evidence that `text[start:end]`, of `words`, is not a person's name: a known place, a word
    and a letter ("Strep A"), a letter alone, ordinary English words, function words and places
    only ("Cloud Storage", "Little Spain"), a place's compass point ("Harbourvale North"), an
    acronym beside words ("BXT Law"), a word the text uses as a common noun, or a phrase that
    opens in lower case ("mais aussi"). A word that is none of these ("Dzhambek") is no such
    evidence."""
    name = " ".join(text[start:end].split())
    keys = [w.casefold() for w in words]
    raw = NAME_WORD.findall(name)
    if not keys or not raw or _place_word(name.casefold()) or raw[0].islower():
        return True
    if len(words) == 2 and len(words[1]) == 1 or all(len(k) < 2 for k in keys):
        return True
    # A function word of another language, an elided one ("L'utilisateur", "J'étudie"), or a
    # month or a day ("Oktober").
    if any(
        k in foreign_stop_words() or k in _months_and_days() or _ELIDED.match(w)
        for w, k in zip(raw, (w.casefold() for w in raw), strict=True)
    ):
        return True
    if all(is_english_word(k) or k in STOP_WORDS or _place_word(k) for k in keys):
        return True
    if len(words) > 1 and (keys[-1] in _COMPASS or any(len(w) > 1 and w.isupper() for w in words)):
        return True
    return any(_used_as_common_noun(w, text) for w in words)


def has_name_evidence(text: str, start: int, end: int, words: list[str], titled: bool) -> bool:
    """Evidence that `text[start:end]`, of `words`, is a person's name (see the module's
    description); `titled`: a title stands before it."""
    name = text[start:end]
    if len(words) > 1 and (is_kept_place(name) or " ".join(name.split()).casefold() in cities()):
        return False
    if titled or name.endswith(("'s", "’s")):
        return True
    # A word and a letter: "Strep A", "Vitamin C", "Plan B".
    if len(words) == 2 and len(words[1]) == 1 and not given_name_word(words[0]):
        return False
    if any(
        given_name_word(word)
        or (len(word) >= 5 and (SURNAME_ENDING.search(word) or _SURNAME_ENDING.search(word)))
        for word in words
    ):
        return True
    # A word the text also uses in the plural is a common noun ("Omni Saiyan ... Saiyans"), and
    # two unknown words in a text of another language are likely its words ("Contrat Madelin").
    if (
        full_name_shape(words, name)
        and not foreign_text(text)
        and not any(re.search(rf"\b{re.escape(w)}s\b", text) for w in words if w[0].isupper())
    ):
        return True
    # The verb before a name may be taken into it: "Tell Caspian Holt".
    if len(words) > 1 and _PERSON_BEFORE.search(words[0] + " "):
        return True
    # A given name next to it, or a series of mostly given names around it: "Losilkes, Wiki,
    # elliot, matthew, Drew and Kye".
    neighbours = [_SERIES_BEFORE.search(text[max(0, start - 30) : start])]
    neighbours.append(_SERIES_AFTER.match(text[end : end + 30]))
    if any(m and given_name_word(m.group(1)) for m in neighbours) or _in_series_of_names(
        text, start, end
    ):
        return True
    # This mention or another of the same name: "Jaedala ... said Jaedala".
    pattern = re.compile(rf"(?<![\w'’-]){re.escape(name)}(?![\w-])")
    spans = [(start, end), *(m.span() for m in pattern.finditer(text))]
    return any(
        _PERSON_BEFORE.search(text[max(0, s - 30) : s])
        or (
            _PERSON_AFTER.match(text[e : e + 20])
            and not _ARTICLE_BEFORE.search(text[max(0, s - 12) : s])
        )
        or (_SUBJECT_AFTER.match(text[e : e + 10]) and not mid_sentence(text, s))
        for s, e in spans
    )


# What a list of public figures says of each: "Agnete Sorvik: known for unique twists".
_KNOWN_FOR = (
    r"[ \t]*:[ \t]*(?:(?:best|well|widely|most|also)[ \t]+)?(?:known|famous|renowned|noted"
    r"|remembered|celebrated)[ \t]+(?:for|as)\b"
)
# A theory or a law named after someone: "Vennor information theory", "Newton's laws", the
# "“Quorvy” theory"; one word may come between, not a function word ("Sarah is constant").
_EPONYM = (
    r"(?:['’]s[ \t]+(?:theorem|laws|paradox|conjecture|equation|equations|principle|lemma"
    r"|constant|inequality)\b"
    r"|[”\"]?[ \t]+(?:(?!(?:in|is|was|are|were|be|has|had|have|on|at|the|a|an|his|her|my|our"
    r"|their|your|its|and|or|to|of|for|with|no|not|this|that)\b)[a-z]+[ \t]+)?(?:theory|theorem"
    r"|paradox|conjecture|equation|equations|principle|hypothesis|lemma|constant|inequality"
    r"|algorithm)\b)"
)
_EPONYM_IN_TEXT = re.compile(rf"(?<![\w'’-])([A-Z][^\W\d_]+)(?={_EPONYM})")
# A role only the famous are introduced by: "Odric Velmane, a theologian and author".
_FAMOUS_ROLE = (
    r",[ \t]+(?:a|an|the)[ \t]+(?:[a-z]+[ \t]+)?(?:theologian|philosopher|novelist|playwright"
    r"|poet|composer|statesman|stateswoman|politician|physicist|reformer|explorer|conqueror"
    r"|emperor|pharaoh|saint|prophet)\b"
    # "..., who was elected Pope", "..., who became King" (not "President": of a club too).
    r"|(?:[ \t]+[\w'’]+){0,3},[ \t]+who[ \t]+(?:was|became)[ \t]+(?:later[ \t]+)?"
    r"(?:elected[ \t]+|crowned[ \t]+|proclaimed[ \t]+)?(?:Pope|King|Queen|Emperor|Empress"
    r"|Pharaoh|Tsar|Sultan|Caliph)\b"
)
# A party's side in a published case, after its counsel: "W Mossel (Defendant/Cross-Claimant)".
_PARTY = (
    r"[ \t]*\((?:for[ \t]+the[ \t]+)?(?:Plaintiff|Defendant|Applicant|Respondent|Appellant"
    r"|Claimant|Cross-|Prosecution|Crown)"
)
# A question about who people are: "Who is Dr Mira Tal?", "Who were A, B and C?".
_WHO = re.compile(r"\b(?i:who)[ \t]+(?:is|was|were|are)[ \t]+([A-Z][^?\n]{0,300})\?")
# A story of fans about the characters of published works: "Sonic characters react to ...".
_REACT = re.compile(
    r"\b(?i:characters[ \t]+(?:all[ \t]+)?react(?:s|ing)?[ \t]+to)\b"
    # The fans' way of asking it of one character, named in lower case: "how kiro react to".
    r"|\b(?i:how)[ \t]+(?!(?:people|users|customers|they|you|we|he|she|it|i|would|will|did|do"
    r"|does|should|can|could|to|my|your|the)\b)[a-z]+[ \t]+reacts?[ \t]+to\b"
)
# The maker of a theory or an invention, with its year: "developed by Tarvo Keskula in 1974".
_BY_BEFORE = re.compile(
    r"\b(?:developed|invented|discovered|proposed|formulated|introduced|coined|devised"
    r"|pioneered)[ \t]+by[ \t]+$"
)
_YEAR_AFTER = re.compile(r"^(?:[ \t]+in[ \t]+|[ \t]*\([ \t]*)(?:1[5-9]|20)\d\d\b")
# A line of a list that gives a name and a description: "Louise Penny: modern crime writer".
_LIST_ITEM = re.compile(r"^[ \t]*:")


# Who a name is when the words around it say it is a public figure or a published character:
# the sides of a contest ("Nunes vs Shevchenko"), a public role before it ("Superintendent Jo
# Stafford", "the character Donald Draper", "the author", "Lord Rama"), a likeness ("who
# resembles Marla Quint"), a work's title before "by" ("The Glass Orchard by Orvin Kastell"), the
# work it comes from after it ("Leonardo (TMNT 2012)", "Draper from the TV show", "the Vera
# Lund detective series"), a work's title after its possessive (`Anthony Doerr's "Cloud Cuckoo
# Land"`), a citation ("Okafor et al.", "Bevan v Coolahan", "(2nd ed, 2020, Hartley Press)", a
# quotation's author), counsel in a published case ("Counsel: G Hale", "W Mossel (Defendant)"),
# a theory or a law named after it ("Vennor information theory", "Murphy's law"), what it is
# known for ("Agnete Sorvik: known for ...").
_PUBLIC_BEFORE = re.compile(
    r"(?:\b(?:vs\.?|versus)|\bthe[ \t]+(?:character|author|writer|novelist|poet|painter|artist"
    r"|singer|rapper|actor|actress|director|composer|philosopher|playwright)"
    r"|\b(?:President|Senator|Governor|Minister|Superintendent|Commissioner|Mayor|Chancellor"
    r"|Congressman|Congresswoman|Inspector|Sergeant|Constable|Judge|Justice|Pope|King|Queen"
    r"|Prince|Princess|Emperor|Empress|Lord|Sage|Saint|Prophet|Goddess|God|Guru)"
    r"|\b(?:resembles|resembling|resemble|resembled|(?:lookalike|look-alike)[ \t]+of)"
    r"|(?:[A-Z][\w'’-]*[ \t]+){2,}by|\b(?:Counsel|Solicitors?|Barristers?)[ \t]*:"
    r"|\([^()\n]*\b(?:1[5-9]|20)\d\d,)\s+(?:[A-Z]\.?[ \t]+)?$"
    # The author of a quotation: '..." (Ana Lind)', '...” — Ana Lind'.
    r"|[”\"»][ \t]*(?:\(|[—–][ \t]*)$"
)
_PUBLIC_AFTER = re.compile(
    r"^(?:['’]s[ \t]+[\"“]|[ \t]+et[ \t]+al\b|[ \t]+v\.?[ \t]+[A-Z]"
    r"|(?:['’]s)?(?:[ \t]+(?:vs\.?|versus)\b"
    r"|[ \t]+from[ \t]+(?:the[ \t]+)?(?:(?:TV|tv)[ \t]+)?(?i:show|series|movie|film|game|anime"
    r"|manga|comic|cartoon|novel|book)s?\b"
    r"|[ \t]*\([^()\n]*(?:\b(?:19|20)\d\d\b|\b[A-Z]{3,}\b)[^()\n]*\))"
    r"|"
    + _EPONYM
    + r"|"
    + _FAMOUS_ROLE
    + r"|(?:[ \t]+(?:and|&)[ \t]+[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*){0,2})?[ \t]+(?:[a-z]+[ \t]+)?"
    r"(?:series|saga|franchise|trilogy)\b"
    r"|" + _KNOWN_FOR + r"|" + _PARTY + r")"
)
# A title of the famous that the NER model takes into the name: "Sage Vasishtha", "Lord Rama".
_FAME_TITLE = re.compile(r"(?:Lord|Sage|Saint|Prophet|Goddess|God|Guru|Pope)[ \t]+[A-Z]")
# What joins names in one finding: "Mia and Raphael", "Nunes vs Shevchenko".
_JOINED = re.compile(r"[ \t]*(?:,|&|\band\b)[ \t]*")
_CONTEST = re.compile(r"[ \t]+(?:vs\.?|versus)[ \t]+")


def public_by_context(text: str, start: int, end: int) -> bool:
    """The words around `text[start:end]` make it a public figure's or a published character's
    name (see `_PUBLIC_BEFORE`, `_PUBLIC_AFTER`)."""
    name_end = end - 2 if text[start:end].endswith(("'s", "’s")) else end
    before = text[max(0, start - 40) : start]
    return bool(
        _PUBLIC_BEFORE.search(before)
        or _PUBLIC_AFTER.match(text[name_end : name_end + 60])
        or (_BY_BEFORE.search(before) and _YEAR_AFTER.match(text[name_end : name_end + 20]))
    )


def _public_spans(text: str, persons: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where a text names public figures whatever their names: a question about who they are,
    and the lines of a list of names and descriptions of which one says what a name is known
    for."""
    spans = [m.span(1) for m in _WHO.finditer(text)]
    if _REACT.search(text):
        spans.append((0, len(text)))
    if any(re.match(_KNOWN_FOR, text[e : e + 60]) for _, e in persons):
        spans += [(s, e) for s, e in persons if _LIST_ITEM.match(text[e : e + 5])]
    return spans


@cache
def _listed_pattern(listed: frozenset[str]) -> re.Pattern[str] | None:
    if not listed:
        return None
    names = "|".join(map(re.escape, sorted(listed, key=len, reverse=True)))
    return re.compile(rf"(?<![\w'’-])(?:{names})(?![\w-])", re.IGNORECASE)


def listed_in_text(text: str, listed: frozenset[str]) -> set[str]:
    """The words of the listed public figures ("Harry Potter") that a text names in full: there
    "Harry" alone is the same figure."""
    pattern = _listed_pattern(listed)
    if pattern is None:
        return set()
    words = {w.casefold() for m in pattern.finditer(text) for w in NAME_WORD.findall(m.group())}
    # A listed name's first words ("Martin Luther" of "Martin Luther King"), and a name with a
    # word listed alone that is no popular given name ("Christ Pantocrator").
    return (
        words
        | listed_prefixes(listed)
        | {
            " ".join(m.group().split()).casefold()
            for m in _CAPITALIZED_RUN.finditer(text)
            if any(w.casefold() in _lone_listed(listed) for w in NAME_WORD.findall(m.group()))
        }
    )


_CAPITALIZED_RUN = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)+")


@cache
def _lone_listed(listed: frozenset[str]) -> frozenset[str]:
    """The listed public figures of one word that are no popular given name: "christ", "obama"."""
    return frozenset(n for n in listed if " " not in n and n not in given_names()[1])


def public_names(text: str, results: Iterable[RecognizerResult]) -> set[str]:
    """The names of a text's PERSON findings that `public_by_context` makes public figures,
    casefolded, each whole and by its last word: every mention of them is kept ("Leonardo (TMNT
    2012)" ... "a bond with Leonardo"). Of a finding that joins names ("Mia and Raphael"), the
    words before it judge the first, those after it the last; both sides of a contest are public."""
    names: set[str] = set()
    persons = [r for r in results if r.entity_type == "PERSON"]
    if not persons:
        return names
    spans = _public_spans(text, [(r.start, r.end) for r in persons])
    for result in persons:
        start = result.start
        end = min(result.end, (text.find("\n", start) + 1 or len(text) + 1) - 1)
        value = re.split(r"[^\w \t'’.,&-]", text[start:end])[0]
        end = start + len(value)
        cuts = [0, *(i for m in _JOINED.finditer(value) for i in m.span()), len(value)]
        parts = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2)]
        public = [] if not _CONTEST.search(value) else [value]
        if any(s <= start and end <= e for s, e in spans):
            public.append(value)
        if _PUBLIC_BEFORE.search(text[max(0, start - 40) : start]) or _FAME_TITLE.match(value):
            public.append(value[parts[0][0] : parts[0][1]])
        if public_by_context(text, start + parts[-1][0], end):
            public.append(value[parts[-1][0] : parts[-1][1]])
        for name in public:
            names.add(re.sub(r"['’]s$", "", name.strip()).casefold())
            for piece in _CONTEST.split(name):
                words = NAME_WORD.findall(re.sub(r"['’]s\b", "", piece))
                if words:
                    names |= {" ".join(words).casefold(), words[-1].casefold()}
    role = public_by_role(text, [(r.start, r.end) for r in persons])
    return names | role | {n.split()[-1] for n in role if n} | eponyms_in(text)


@lru_cache(maxsize=16)
def eponyms_in(text: str) -> frozenset[str]:
    """The words a text names a theory, a law or an algorithm after, casefolded: "Vennor" of
    "the Vennor information theory"."""
    return frozenset(m.group(1).casefold() for m in _EPONYM_IN_TEXT.finditer(text))
