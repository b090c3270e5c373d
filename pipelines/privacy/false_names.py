"""What the NER model or the gazetteer calls a person but is no private person's name: a place,
a work, a product, an employer, a word or a phrase, and the words run into a name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from presidio_analyzer import RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from pipelines.privacy.gazetteer import FIELD_BEFORE, ORG_ENDS, companies_in
from pipelines.privacy.name_evidence import (
    eponyms_in,
    evidence_against_name,
    foreign_text,
    full_name_shape,
    given_name_word,
    has_name_evidence,
)
from pipelines.privacy.name_roles import NAME_PREFIX, thing_by_context
from pipelines.privacy.recognizers import (
    IDENTIFIER_WORD,
    NAME_ENDS,
    NAME_PARTICLES,
    TRAVEL,
    foreign_stop_words,
    given_names,
    is_english_word,
    is_given_name,
    mid_sentence,
    sentence_around,
)

# Quotation marks, opening to closing.
QUOTES = {'"': '"', "“": "”", "«": "»", "„": "“"}
# A line of imports: "import * as Yup from 'yup'", "from numpy import linalg"; and the names an
# import statement brings in, wherever it stands: "...; import * as Yup", "import { Formik, ".
IMPORT_LINE = re.compile(r"[ \t]*(?:import[ \t]+[\w*{]|from[ \t]+[\w.]+[ \t]+import\b)")
IMPORT_BEFORE = re.compile(
    r"\bimport[ \t]+(?:\\?\*[ \t]+as[ \t]+|\{[^}\n]*)$"
    r"|\bfrom[ \t]+[\w.]+[ \t]+import[ \t]+(?:\w+[ \t]*,[ \t]*)*$"
)
# A name is letters, with spaces, hyphens, apostrophes and initials' dots between them.
NAME_SHAPE = re.compile(r"^[^\W\d_]+(?:(?:[ '’\-]|\. ?)[^\W\d_]+)*\.?$")
POSSESSIVE = re.compile(r"['’]s$")
NAME_WORD = re.compile(r"[^\W\d_]+")

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
# Brightpath Health", "drove from Austin to Dallas", "in Lisbon and Valencia", "Greater
# Dandenong", "humming ...".
PLACE_BEFORE = re.compile(
    r"(?<!\w)(?:in|at|near|around|across|inside|outside|via|into|toward|towards|visit|visited"
    r"|visiting|explore|exploring|à|en|nach"
    r"|(?:move|moves|moved|moving|fly|flew|flying|flight|flights|drive|drove|driving|trip"
    r"|travel|travels|traveled|travelled|traveling|travelling|go|goes|went|going|back|get"
    r"|train|bus|ferry|relocate|relocating|return|returning|route)\s+(?:to|from)"
    r"|(?:hired|employed|sponsored|acquired|owned)\s+by|(?:retired|resigned|graduated)\s+from"
    r"|(?:partner|partners|partnered|volunteer|volunteers|volunteered|intern|interned)\s+with"
    r"|job|role|position|internship|career|greater"
    # Works: "humming Bohemian Rhapsody", "finished Wolf Hall".
    r"|read|reading|watch|watched|watching|play|played|playing|hum|humming|sing|singing"
    r"|listen\w*\s+to|finished|rewatch\w*|binge\w*)"
    # The places before it in a series: "in Lisbon and Valencia", "Greater Dandenong, Casey and".
    r"\s+(?:(?-i:[A-Z])[\w'’-]*(?:,[ \t]*|\s+(?:and|or|to|&|including)\s+)){0,4}$",
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
# What a person's name leads to after an article: "a Melissa Oliveira concert" (not "a Michael
# Kors handbag", a brand's).
EVENTS = {
    *("concert", "concerts", "show", "gig", "tour", "lecture", "talk", "performance", "recital"),
    *("exhibition", "wedding", "party", "birthday", "funeral", "family", "household", "case"),
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
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
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
# A title right before a name: "Ms. Amps", "Mr Whiskers".
TITLE_BEFORE = re.compile(
    r"(?i:\b(?:mr|mrs|ms|miss|mx|dr|prof|professor|sir|dame|lady|lord|aunt|uncle|coach)\.?\s+)$"
)
# A name among others, or after a verb of saying: "Bowman and White", "says Becker".
COORDINATED_BEFORE = re.compile(r"(?:,|\band|&|\b(?:says|said|asks|asked|by))\s*$")
COORDINATED_AFTER = re.compile(r"^(?:['’]s)?\s*(?:,|and\b|&)\s*[A-Z]")
# A name given as such: "was called Yulan Peres", "a girl named Sachiko".
CALLED = re.compile(r"\b(?:called|named)\s+$")
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
# A common noun's ending: "Urban Planning", "Key Decision Points", "Risk Management".
NOUN_ENDING = re.compile(r"(?:ing|tion|sion|ment|ness|ity|ance|ence|ship|ism|ology)$")


def recognizer_name(result: RecognizerResult) -> str | None:
    return (result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY)


def name_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A name's own words: up to its line's end and the first character no name has ("Heather:",
    "Marie, j'habite"), without the words the NER model runs into it ("Je m'appelle Marie",
    "Mein Name", "Il mio numero") nor a pronoun after it ("Tell Caspian Holt I'll")."""
    end = first_line_end(text, start, end)
    # The rest of a hyphenated name the NER model cut: "Hauta-aho".
    rest = re.match(r"-[^\W\d_]+", text[end : end + 30])
    end = end + rest.end() if rest and end < len(text) and text[end - 1].isalpha() else end
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


def reads_as_code(words: list[str]) -> bool:
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


def common_noun_phrase(keys: list[str]) -> bool:
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


def two_word_phrase(keys: list[str]) -> bool:
    """Two English words, neither anyone's given name: "Spring Boot", "Art Studio" (not
    "Fletcher Hill", whose first word is a given name too)."""
    names = given_names()[0]
    return (
        len(keys) == 2
        and keys[0] not in TITLES
        and all((is_english_word(k) or k in STOP_WORDS) and k not in names for k in keys)
    )


def _lone_word(key: str, word: str, before: str, after: str) -> bool:
    """One English word that is no one's given name ("Format", "Schema", "Spades"), or a word of
    another script that no gazetteer holds ("Привет"); not after a title ("Ms. Amps"), in a
    series or after a verb of saying ("Bowman and White", "says Becker"), nor called ("Kuba,")."""
    return (
        not is_given_name(key)
        and not (TITLE_BEFORE.search(before) or COORDINATED_BEFORE.search(before))
        and not COORDINATED_AFTER.match(after)
        and not after.lstrip(" \t").startswith(",")
        and (is_english_word(key) or not LATIN_LETTER.search(word))
    )


def names_a_thing(text: str, start: int, end: int, name: str, recognizer: str | None) -> bool:
    """What the NER model or the gazetteer took for a person is a place, a work, a product, an
    employer, a word or a phrase.

    - a single word that opens a sentence before a lower-case word, is an English word and no
      given name ("Cook two grains", "Meter number"), or a month or a day;
    - after an article ("the Acropolis", "a Roth IRA", "a Michael Kors handbag"; not "a Melissa
      Oliveira concert") or
      a word that leads to a place, an employer or a work ("in Florence", "works at Brightpath
      Health", "flight to Adelaide", "humming Bohemian Rhapsody");
    - before a word that names a place, building, company or work ("San Diego Zoo", "Hadrian's
      Wall", "Oakridge Labs", "Elden Ring"), or one word before a title's "of" ("Anne of Green
      Gables");
    - one English word that is no one's given name, or a word of another script
      (`_lone_word`), and lower-case words of another language ("mais aussi");
    - a phrase of English words that ends in a common noun (`common_noun_phrase`), or two
      English words neither of which is a given name (`two_word_phrase`), unless "called";
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
    if (
        in_code(text, start, end)
        or set(keys) <= companies_in(text)
        or FIELD_BEFORE.search(before)
        # A word the text names a theory after runs into a phrase: "Vennor Internet television".
        or set(keys) & eponyms_in(text)
        # What the words around it say it is: "Zorvanta is the fastest growing platform".
        or thing_by_context(text, start, end, words)
    ):
        return True
    # A weekday run into a word that is no given name ("on Tuesday Mom gives"), a plural noun
    # after a word that is no given name ("Javascript Modules", "Ninja Turtles"; not "Tyra Banks",
    # nor "Jildau S Bouts", a full name's shape).
    # A brand before two English words that are no given names: "Coleman Cabin Tent".
    if len(keys) > 1 and (
        (keys[0] in WEEKDAYS and not any(k in names for k in keys[1:]))
        or (keys[0] not in names and plural_noun(keys[-1]) and not full_name_shape(words, name))
        or (
            len(keys) >= 3
            and all(len(k) > 1 and is_english_word(k) and k not in names for k in keys[-2:])
            and not TITLE_BEFORE.search(before)
            and not full_name_shape(words, name)
        )
    ):
        return True
    # In a text of another language, the English model's "persons" are mostly its nouns and
    # brands ("sämtliche Prinzipien", "Contrat Madelin"), in a text of another script its words
    # in Latin letters ("充当 Linux 终端"), and a phrase in quotes is a term ('"Oort Cloud"'): a
    # name needs a given name there.
    if (
        foreign_text(text) or other_script(text) or QUOTES.get(text[start - 1 : start]) == after[:1]
    ) and not any(given_name_word(w) for w in words):
        return True
    # Dropped only on evidence against a name: an unknown word ("Dzhambek") stays a name.
    if not has_name_evidence(
        text, start, end, words, bool(TITLE_BEFORE.search(before))
    ) and evidence_against_name(text, start, end, words):
        return True
    following = WORD_AFTER.match(after)
    single = len(words) == 1
    if single and _lone_word(keys[0], words[0], before, after):
        return True
    # Lower-case words of another language: "qui s'installe", "mais aussi".
    if any(w.islower() and w.casefold() in foreign_stop_words() for w in words):
        return True
    next_word = following.group(1) if following and following.group(1).islower() else None
    if single and (
        keys[0] in MONTHS_AND_DAYS
        or (
            keys[0] not in names
            and is_english_word(keys[0])
            and not mid_sentence(text, start)
            and next_word
            and next_word not in ("and", "or")
        )
    ):
        return True
    # "a Dyson", "the Hilton Athens.", but not "the Jensen novel" nor "a Melissa Oliveira
    # concert": an author's or a performer's.
    modifier = next_word and (next_word in WORKS or next_word in EVENTS)
    if ARTICLE_BEFORE.search(before) and not modifier:
        return True
    if PLACE_BEFORE.search(before) and not ADDRESSED.search(before):
        return True
    if (
        keys[-1] in NAME_ENDS
        or keys[-1] in ORG_ENDS
        or (single and OF_AFTER.match(after))
        or (
            following
            and following.group(1)[0].isupper()
            and following.group(1).casefold() in NAME_ENDS | ORG_ENDS
        )
    ):
        return True
    if common_noun_phrase(keys) or (two_word_phrase(keys) and not CALLED.search(before)):
        return True
    vocative = re.search(r",\s*$", before) and re.match(r"^\s*[!?,]", after)
    return bool(
        single
        and keys[0] in popular
        and not vocative
        and TRAVEL.search(sentence_around(text, start, end))
    )


@lru_cache(maxsize=16)
def other_script(text: str) -> bool:
    """Most letters of the text's first 1,000 characters are not Latin: Chinese, Cyrillic."""
    letters = [c for c in text[:1000] if c.isalpha()]
    latin = sum(bool(LATIN_LETTER.match(c)) for c in letters)
    return len(letters) >= 10 and latin * 2 < len(letters)


def plural_noun(key: str) -> bool:
    """The plural of an English noun that is no given name: "modules", "turtles", "boxes"."""
    stems = [key[:-1]] + ([key[:-2]] if key.endswith("es") else [])
    return (
        len(key) > 4
        and key.endswith("s")
        and key not in given_names()[0]
        and any(is_english_word(stem) and stem not in given_names()[0] for stem in stems)
    )


def in_code(text: str, start: int, end: int) -> bool:
    """Part of an identifier or a file name ("Rosa\\_And\\_Molly.mp3"), a lower-case name of
    three hyphenated parts ("tessa-base-uncased"), or a name on a line of imports ("import * as
    Yup from 'yup'")."""
    if text[start - 1 : start] == "_" or text[end : end + 1] == "_" or text[end : end + 2] == "\\_":
        return True
    value = text[start:end]
    if value.islower() and value.count("-") >= 2:
        return True
    line_start = text.rfind("\n", 0, start) + 1
    return bool(
        IMPORT_LINE.match(text, line_start)
        or IMPORT_BEFORE.search(text[max(line_start, start - 80) : start])
    )


def given_name_first(name: str) -> bool:
    """A lower-case name that starts with a given name and has a word no dictionary knows."""
    keys = [word.casefold() for word in NAME_WORD.findall(name)]
    return (
        bool(keys)
        and keys[0] in given_names()[0]
        and keys[0] not in STOP_WORDS
        and any(len(key) > 2 and not is_english_word(key) for key in keys)
    )


def first_line_end(text: str, start: int, end: int) -> int:
    """A name ends at its line: the NER model runs "Lena Wirth\nAddress" together."""
    newline = text.find("\n", start, end)
    end = newline if newline > start else end
    while end > start and text[end - 1].isspace():
        end -= 1
    return end
