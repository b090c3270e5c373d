"""Names the NER model misses that the words around a found name, or around a word that reads as
a name, give away: the rest of a series ("Monjeau, Graves and Reed"), the speakers of a dialogue
("Mia: ..."), what people are said to do ("said Maslin to Antonio", "Dexter lives on ..."), and
the other mentions of a found name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from functools import cache

from spacy.lang.en.stop_words import STOP_WORDS

from pipelines.privacy.false_names import (
    NAME_SHAPE,
    NAME_WORD,
    POSSESSIVE,
    TITLES,
    reads_as_code,
)
from pipelines.privacy.recognizers import foreign_stop_words, given_names, is_english_word
from pipelines.privacy.regex_gates import PatternGates

Span = tuple[int, int]

_UPPER_WORD = r"[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]+"
# A series of capitalized words: "Kónya, Becker and Vasquez", "Park and Mann".
SERIES = re.compile(
    rf"(?<![\w'’-]){_UPPER_WORD}(?:,[ \t]+{_UPPER_WORD})*,?[ \t]+(?:and|&)[ \t]+{_UPPER_WORD}"
    r"(?:['’]s)?(?![\w'’-])"
)
CAPITALIZED = re.compile(_UPPER_WORD)
# A speaker's line of a dialogue: 'Mia: "Indeed..."', "Ubul: What a wife." (not "Fax: 555...").
SPEAKER = re.compile(
    rf"^[ \t>]*({_UPPER_WORD}(?:[ \t]{_UPPER_WORD})?)[ \t]*:[ \t]*(?:[\"“'‘]|[^\W\d_])",
    re.MULTILINE,
)
_SENTENCE_START = r"(?:^|(?<=[.!?][ \t]))"
# What people do and are told: "said Maslin to Antonio", "Dexter lives on ...", "Adomo began
# writing", "Warrane, can I ...", "Zak shouted at", "the gender of Mette", "the Ruoho novel",
# "her maiden name is nyberg". A word caught so must still read as a name (`reads_as_name`).
NAMED_BY_CONTEXT = [
    re.compile(
        rf"\b(?:said|told|asked|replied)[ \t]+({_UPPER_WORD})[ \t]+to[ \t]+({_UPPER_WORD})\b"
    ),
    re.compile(
        rf"{_SENTENCE_START}({_UPPER_WORD})[ \t]+(?:(?:lives|lived)[ \t]+(?:on|at|in)"
        r"|grew[ \t]+up|was[ \t]+born)\b",
        re.M,
    ),
    # "a focus child report of Yiyi, 5 year old girl", "Tomas, a 7-year-old".
    re.compile(
        rf"\b({_UPPER_WORD}),?[ \t]+(?:a[ \t]+|an[ \t]+)?\d{{1,2}}[- ](?:years?|yrs?)[- ]old\b"
    ),
    # An original character: "original female character Veyla".
    re.compile(rf"\boriginal[ \t]+(?:[a-z]+[ \t]+){{0,2}}character[ \t]+({_UPPER_WORD})\b"),
    re.compile(rf"{_SENTENCE_START}({_UPPER_WORD})[ \t]+(?:began|started)[ \t]+[a-z]+ing\b", re.M),
    re.compile(rf"^({_UPPER_WORD}),[ \t]+(?:can|could|would|will|please)\b", re.M),
    re.compile(
        rf"{_SENTENCE_START}({_UPPER_WORD})[ \t]+(?:had[ \t]+given|gave|shouted|yelled)\b", re.M
    ),
    re.compile(rf"\b(?:gave|given)[ \t]+({_UPPER_WORD})[ \t]+(?:his|her|their)\b"),
    re.compile(r"\bgender[ \t]+of[ \t]+([^\W\d_]+)\b"),
    re.compile(rf"\bthe[ \t]+({_UPPER_WORD})[ \t]+(?:novel|novels|memoir|biography)\b"),
    re.compile(r"\bmaiden[ \t]+name[ \t]+(?:is|was)[ \t]+([^\W\d_]+)"),
    # Who is told or met: "which lets dravo know", "comes to confront Rusty".
    re.compile(r"\blet(?:s|ting)?[ \t]+([^\W\d_]{3,})[ \t]+know\b"),
    re.compile(
        rf"\b(?:confront|confronts|confronted|befriend|befriends|befriended)[ \t]+({_UPPER_WORD})\b"
    ),
]
# Words that introduce people by name whatever the name is, an English word too: "The only
# characters are Sapphire, Lily, and ...", "a man named B. Morris", "a girl called Rose".
INTRODUCED = [
    re.compile(
        rf"\bcharacters[ \t]+(?:are|include)[ \t]+({_UPPER_WORD})(?:,[ \t]+({_UPPER_WORD}))?"
        rf"(?:,[ \t]+({_UPPER_WORD}))?(?:,?[ \t]+(?:and|&)[ \t]+({_UPPER_WORD}))?(?![\w-])"
    ),
    re.compile(
        r"\b(?:man|woman|boy|girl|guy|lady|person|friend|kid|child|teacher|student|character)"
        rf"[ \t]+(?:named|called)[ \t]+((?:[A-Z]\.?[ \t]+)?{_UPPER_WORD})(?![\w-])"
    ),
]


# The same name in another script, in brackets right after it: "Wenxuan Zhou (周文轩)".
OTHER_SCRIPT_AFTER = re.compile(
    r"[ \t]*[(（]([\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0400-\u04ff]{2,12})[)）]"
)


# A name in lower case around an initial: "benjamin a seiler", "hyuuma t. maida".
LOWER_CASE_INITIAL = re.compile(
    r"(?<![\w'’.-])([a-zà-ž]{3,})[ \t]([a-z])\.?[ \t]([a-zà-ž]{3,})(?![\w'’-])"
)


# The account folder of a path, a user name: "C:\\Users\\andy9\\Desktop", "/home/lena/".
USER_FOLDER = re.compile(
    r"(?:\b[A-Za-z]:[\\/]+(?i:users|documents and settings)|(?<![\w.~])/(?i:home|users))[\\/]+"
    r"([^\\/\s:*?\"<>|%{}$]*[^\W\d_][^\\/\s:*?\"<>|%{}$]*)(?=[\\/])"
)
# Folder names that belong to no one.
SHARED_FOLDERS = {
    *("public", "default", "default user", "all users", "administrator", "admin", "user"),
    *("username", "user_name", "yourname", "your_username", "yourusername", "name", "me", "you"),
    *("runner", "ubuntu", "root", "pi", "vagrant", "ec2-user", "shared", "guest"),
}


def user_folders(text: str) -> list[Span]:
    """The account names of paths in a text, but not the folders every machine has."""
    return [
        match.span(1)
        for match in USER_FOLDER.finditer(text)
        if match.group(1).casefold() not in SHARED_FOLDERS
    ]


def reads_as_name(word: str, public_figures: Collection[str]) -> bool:
    """A capitalized word that may be a private person's name: a given name, or a word that is
    neither English nor a function word, nor a public figure's."""
    key = word.casefold()
    return (
        NAME_SHAPE.match(word) is not None
        and not reads_as_code([word])
        and key not in public_figures
        and key not in STOP_WORDS
        and key not in TITLES
        and (key in given_names()[0] or not is_english_word(key))
    )


def _proper_in_text(word: str, text: str) -> bool:
    """An English word and no given name (one that `reads_as_name` turns down for that only),
    capitalized, not a function word, title or code, that the text never writes in lower case:
    a name ("Sapphire"), not a common noun ("Coral ... the coral")."""
    key = word.casefold()
    return (
        NAME_SHAPE.match(word) is not None
        and is_english_word(key)
        and key not in given_names()[0]
        and word[0].isupper()
        and not reads_as_code([word])
        and word.casefold() not in STOP_WORDS
        and word.casefold() not in TITLES
        and re.search(rf"(?<![\w'’-]){re.escape(word.lower())}(?![\w-])", text) is None
    )


def names_in_context(text: str, persons: list[Span], is_name: Callable[[str], bool]) -> list[Span]:
    """Spans of the names that a series with a found name, a dialogue's speaker lines (two
    speakers at least), a found name's writing in another script in brackets after it
    (`OTHER_SCRIPT_AFTER`) or `NAMED_BY_CONTEXT` give away, each word (and the found name of a
    series: not "Foliage" of "Ghostly, Foliage, Tech, and Coral") passing `is_name`. An English
    word that an introduction (`INTRODUCED`) gives away, and that the text never writes in lower
    case (`_proper_in_text`), is a name too, in all its mentions."""
    found = []
    # English words that only an introduction makes names ("Sapphire"): every mention, as written.
    introduced: set[str] = set()
    for series in SERIES.finditer(text):
        members = list(CAPITALIZED.finditer(text, series.start(), series.end()))
        seeds = [m for m in members if any(s < m.end() and m.start() < e for s, e in persons)]
        if any(is_name(m.group()) for m in seeds):
            found += [m.span() for m in members if is_name(m.group())]
    may_match = _gates().may_match(text)
    for pattern, may in zip(INTRODUCED, may_match[: len(INTRODUCED)], strict=True):
        if not may:
            continue
        for match in pattern.finditer(text):
            for group in range(1, pattern.groups + 1):
                value = match.group(group)
                last = NAME_WORD.findall(value or "")[-1:]
                if last and is_name(last[0]):
                    found.append(match.span(group))
                elif last and _proper_in_text(last[0], text):
                    introduced.add(last[0])
                    found.append(match.span(group))
    for word in introduced:
        found += [m.span() for m in re.finditer(rf"(?<![\w'’-]){re.escape(word)}(?![\w-])", text)]
    for pattern, may in zip(NAMED_BY_CONTEXT, may_match[len(INTRODUCED) :], strict=True):
        if not may:
            continue
        for match in pattern.finditer(text):
            found += [
                match.span(group)
                for group in range(1, pattern.groups + 1)
                if match.group(group) and is_name(match.group(group))
            ]
    found += [
        match.span()
        for match in LOWER_CASE_INITIAL.finditer(text)
        if match.group(1) in given_names()[0]
        and match.group(1) not in STOP_WORDS
        and not is_english_word(match.group(3))
        and match.group(3) not in foreign_stop_words()
    ]
    found += [match.span(1) for _, end in persons if (match := OTHER_SCRIPT_AFTER.match(text, end))]
    speakers = [m for m in SPEAKER.finditer(text) if all(map(is_name, m.group(1).split()))]
    if len({m.group(1) for m in speakers}) >= 2:
        found += [m.span(1) for m in speakers]
    return found


@cache
def _gates() -> PatternGates:
    """What the lead-ins' patterns require: a text without a lead-in's words is not scanned."""
    return PatternGates(INTRODUCED + NAMED_BY_CONTEXT)


def repeated_name_patterns(
    names: list[str], public_figures: Collection[str]
) -> list[re.Pattern[str]]:
    """Patterns of the other mentions of found names' words: "Joakim Westgård ... starring
    Westgård".

    Words that are no English word are looked for in any case; so "Will Smith" does not take
    every "will" of the text with it; nor acronyms ("API" of a name run into it) or function
    words of other languages ("que"). A given name that is an English word too ("Cyrus",
    "Lily") is looked for as written, capitalized, unless it is a function word ("Will").
    """
    words = [
        word
        for name in names
        for word in NAME_WORD.findall(POSSESSIVE.sub("", name))
        if len(word) >= 3 and not word.isupper() and word.casefold() not in public_figures
    ]
    any_case = {
        w.casefold()
        for w in words
        if not is_english_word(w.casefold()) and w.casefold() not in foreign_stop_words()
    }
    as_written = {
        w
        for w in words
        if w[0].isupper()
        and is_english_word(w.casefold())
        and w.casefold() in given_names()[0]
        and w.casefold() not in STOP_WORDS
    }
    patterns = []
    # A full name's initial and surname, the surname in any case: "B halloway" of "Brett Halloway".
    initialed = {
        rf"{re.escape(words[0][0])}\.?[ \t]+(?i:{re.escape(words[-1])})"
        for words in (NAME_WORD.findall(POSSESSIVE.sub("", name)) for name in names)
        if len(words) >= 2
        and words[0][0].isupper()
        and len(words[0]) > 1
        and len(words[-1]) >= 3
        and words[-1].casefold() not in public_figures
    }
    if initialed:
        patterns.append(re.compile(rf"(?<![\w'’.-])(?:{'|'.join(sorted(initialed))})(?![\w-])"))
    for group, flags in ((any_case, re.IGNORECASE), (as_written, 0)):
        if group:
            alternatives = "|".join(map(re.escape, sorted(group)))
            # With an initial before it: "B. Morris" of "Brett Morris" (not the article "A").
            patterns.append(
                re.compile(
                    rf"(?<![\w'’-])(?-i:(?:[B-HJ-Z]\.?|[AI]\.)[ \t]+)?(?:{alternatives})(?![\w-])",
                    flags,
                )
            )
    return patterns
