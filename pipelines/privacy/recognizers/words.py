"""The word lists the name rules consult: given names, English words, stop words of other
languages, surname particles, the words that end a name rather than continue it, street types.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from importlib import resources
from pathlib import Path

import spacy
from english_words import get_english_words_set

# Street types, as a regex alternation: "Street|St|Avenue|...".
STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Crescent|Close|Row|Alley|"
    r"Strasse|Straße|Str|Rue|Calle|Via|Viale|Katu|Gatan|Vej|Weg|Laan"
)
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
NAME_ENDS = {w.casefold() for w in STREET_TYPES.split("|")} | {
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
    "studio",
    "studios",
    "lawyers",
    "trust",
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
    # Bodies, events and prizes: "Lok Sabha Election", "Ryder Cup", "Turner Prize".
    "election",
    "elections",
    "party",
    "council",
    "committee",
    "commission",
    "parliament",
    "assembly",
    "award",
    "awards",
    "prize",
    "festival",
    "cup",
    "league",
    "championship",
    # Works and languages: "Elden Ring", "Mario Bros", "Wolfram Language".
    "language",
    "ring",
    "saga",
    "chronicles",
}
# Travel and place words in a sentence: "Is Madison a good city?", "I loved Sydney and want to
# go back".
TRAVEL = re.compile(
    r"(?i:\b(?:city|cities|village|country|capital|trip|travel\w*|visit\w*|flight|fly|flew"
    r"|ferry|weather|beach|beaches|holiday|vacation|airport|downtown|go back|suburbs?)\b)"
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
        # "computing", "priced": a verb's final "e" dropped before the ending.
        or any(
            key.endswith(end) and len(key) > len(end) + 3 and key[: -len(end)] + "e" in words
            for end in ("ing", "ed")
        )
    )


# Latin spellings of Cyrillic letters, the usual ones first: the gazetteer spells Russian and
# Ukrainian names in Latin letters ("Коля" is "Kolya", "Дмитрий" "Dmitrij" or "Dmitriy").
_CYRILLIC = {
    **dict(zip("абвгдзклмнопрстуфы", "abvgdzklmnoprstufy", strict=True)),
    **{"е": ("e", "ye"), "ё": ("e", "yo"), "ж": ("zh",), "и": ("i",), "й": ("y", "j", "i")},
    **{"х": ("kh", "h"), "ц": ("ts", "c"), "ч": ("ch",), "ш": ("sh",), "щ": ("shch",)},
    **{"ъ": ("",), "ь": ("",), "э": ("e",), "ю": ("yu", "ju"), "я": ("ya", "ja", "ia")},
    **{"і": ("i",), "ї": ("yi", "i"), "є": ("ye", "e"), "ґ": ("g",)},
}
CYRILLIC_WORD = re.compile(r"[А-ЯЁІЇЄҐ][а-яёіїєґ]+(?:-[А-ЯЁІЇЄҐ][а-яёіїєґ]+)?")


def latin_spellings(key: str, limit: int = 16) -> list[str]:
    """The Latin spellings of a casefolded Cyrillic word (at most `limit`), [] for another."""
    spellings = [""]
    for letter in key:
        options = _CYRILLIC.get(letter)
        if options is None:
            if letter != "-":
                return []
            options = ("-",)
        options = (options,) if isinstance(options, str) else options
        spellings = [s + o for s in spellings for o in options][:limit]
    return spellings


def is_given_name(key: str) -> bool:
    """A casefolded word the gazetteer holds, in Latin letters or in a Latin spelling of its
    Cyrillic ones."""
    names = given_names()[0]
    return key in names or any(s in names for s in latin_spellings(key))
