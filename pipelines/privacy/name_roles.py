"""The role the words around a capitalized phrase give it, beyond `false_names` and
`name_evidence`: a thing's ("Zorvanta is the fastest growing platform", "made with Trebbiano",
"based on Arduino Uno") or a public figure's and a published character's ("the style of Teo
Marsh", "Otto Brandl's techniques", "replace Arno Pellig with ..." in a script, the other
characters beside an "original character").

`thing_by_context` judges one finding; `public_by_role` names the findings of a text that are
public figures, casefolded, for `name_evidence.public_names`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from spacy.lang.en.stop_words import STOP_WORDS

from pipelines.privacy.gazetteer import cities
from pipelines.privacy.quasi_identifiers import is_kept_place
from pipelines.privacy.recognizers import given_names, is_english_word

Span = tuple[int, int]

# What a thing is said to be: "Zorvanta is the fastest growing platform globally", "Kelvoran,
# the fire-breathing monster of the Ash element". The noun ends its phrase ("a game
# developer" is a person's role).
_THING_NOUN = (
    r"(?:platform|app|application|website|site|service|company|startup|start-up|brand|business"
    r"|firm|airline|product|tool|library|framework|software|device|engine|console|plugin"
    r"|extension|chatbot|monster|creature|robot|planet|moon|kingdom|island|village|town|city"
    r"|restaurant|hotel|resort|spaceship|starship|ship|variety|grape|wine|dish)s?"
)
_THING_AFTER = re.compile(
    r"^(?:[ \t]+(?:is|was|are|were|became|has[ \t]+become)[ \t]+|[ \t]*,[ \t]*)"
    r"(?:a|an|the|our|one[ \t]+of[ \t]+the)[ \t]+"
    r"(?:(?!(?:of|for|at|in|on|with|from|to|and|or|who|that|whose)\b)[\w'’-]+[ \t]+){0,3}"
    + _THING_NOUN
    + r"(?=[ \t]*(?:[.,;:!?)]|$)|[ \t]+(?:of|for|in|on|that|which|with|where|and|to|from"
    r"|[a-z]+ly)\b)",
    re.MULTILINE,
)
# Words before an ingredient, a base, a program or a company: "made with Trebbiano", "based on
# Arduino Uno", "a VM that runs Windows", "la compagnie d’aviation privée Valmora".
_THING_BEFORE = re.compile(
    r"(?:\b(?i:made|make|makes|making|brewed|blended|distilled)[ \t]+(?:it[ \t]+)?(?:with|from)"
    r"|\b(?i:based[ \t]+on|runs|running|installed|installing)"
    r"|\b(?i:company|compagnie|compañía|empresa|firm|airline|startup|brand|platform|app)"
    r"(?P<between>(?:[ \t]+[a-zà-ÿ’']+){0,4}))[ \t]+$"
)
# Nouns of people that may stand between "company" and a name: "the company founder Ada".
_PERSON_NOUNS = {
    *("ceo", "owner", "founder", "manager", "director", "president", "boss", "employee"),
    *("colleague", "worker", "recruiter", "representative", "rep", "chairman", "head"),
}
# A capitalized article inside a line, before a name of two words: "me Hugging A Mira Tesk".
# Capitalized English words between an article and the finding: "the Teenage Mutant [Ninja
# Turtles]"; a world a story's people live on: "grew up on a small farm on Dessaline".
_ARTICLE_RUN = re.compile(r"\b(?:the|a|an)[ \t]+((?:[A-Z][a-z]+[ \t]+){1,3})$")
_HOME_ON = re.compile(
    r"\b(?:grew[ \t]+up|born|raised|lives|lived|living)[ \t]+(?:[\w'’-]+[ \t]+){0,5}?on[ \t]+$"
)
_CAPITAL_ARTICLE = re.compile(r"[^\W\d_][ \t]+(?:A|An)[ \t]+$")
# A place after a place and a comma: "Lane Ten Bowling, Mudgee at 11:30am", "Paros, Naoussa:".
_AFTER_COMMA = re.compile(r"([A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*){0,2}),[ \t]*$")
# Not before a sentence's end: "Greetings from Melbourne, Chloe." is signed.
_PLACE_END = re.compile(r"^(?:[ \t]*[,:]|[ \t]+(?:at|on|in)\b)")
_CAPITALIZED_WORD_BEFORE = re.compile(r"(?<![\w'’-])([A-Z][a-z]+)[ \t]+$")
# A word of code or a log: "ContainerCreateFailedError", "NetPanel".
_IDENTIFIER_IN_TEXT = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+){2,}\b")
_MODIFIER_AFTER = re.compile(
    r"^[ \t]+[a-z]+(?:ary|ical|al|ic|ous|ive|ian)[ \t]+[a-z]{3,}\b(?![ \t]+(?:is|was|has|had)\b)"
)
# A capitalized word run into a table's next cell: "Harnam Dev TiwariMale | IND".
_RUN_INTO = re.compile(r"^[ \t]+([A-Z][a-z]+[A-Z][\w]*)")
# Capitals inside a word that do not make it a product's: "McDonald", "MacArthur", "DeShawn".
NAME_PREFIX = re.compile(r"^(?:Mc|Mac|O['’]|De|Di|Da|Le|La|Van|Von|Fitz)(?=[A-Z])")
# Comparative and inflected forms of English words: "Sharper", "Brunching".
_INFLECTION = re.compile(r"(?:er|est|ing|ed|s)$")


def _english(key: str) -> bool:
    """An English word, or one by an inflection: "stronger", "feasting"."""
    if is_english_word(key):
        return True
    stem = _INFLECTION.sub("", key)
    return len(stem) > 2 and stem != key and (is_english_word(stem) or is_english_word(stem + "e"))


def _title_line(text: str, start: int) -> bool:
    """The name's line and the lines around it are in title case, headings or a list of
    features: of their words of three letters or more that are no function words, six at least
    and four in five are capitalized, fewer than half of those popular given names, and a
    function word after the first is capitalized too ("-Sharper Qi Throughout Your Mind",
    "Brunch with Bestie: A Guide to the Best Pet-Friendly Cafes in Leeds")."""
    line_start = text.rfind("\n", 0, max(0, text.rfind("\n", 0, start))) + 1
    line_end = text.find("\n", text.find("\n", start) + 1) if "\n" in text[start:] else -1
    line = text[line_start : len(text) if line_end < 0 else line_end]
    every = re.findall(r"[^\W\d_]+", line)
    words = [w for w in every if len(w) > 2 and w.casefold() not in STOP_WORDS]
    capitalized = [w for w in words if w[0].isupper()]
    popular = given_names()[1]
    return (
        len(words) >= 6
        and len(capitalized) * 5 >= len(words) * 4
        and sum(w.casefold() in popular for w in capitalized) * 2 < len(capitalized)
        and (
            any(len(w) > 1 and w[0].isupper() and w.casefold() in STOP_WORDS for w in every[1:])
            # A subtitle's article, not an initial: "Brunch with Bestie: A Guide".
            or re.search(r"[:—–][ \t]*A[ \t]+[A-Z]", line) is not None
        )
    )


def _place(key: str) -> bool:
    return key in cities() or is_kept_place(key)


def thing_by_context(text: str, start: int, end: int, words: list[str]) -> bool:
    """The words around `text[start:end]`, of `words`, make it a thing: what it is said to be
    (`_THING_AFTER`), a word before it (`_THING_BEFORE`), a capitalized article inside a line
    before two words, a place and a comma before a place, a word run into a table's next cell
    ("TiwariMale"), or a line in title case where no word of it is a popular given name and
    one is an English word or no name at all."""
    keys = [w.casefold() for w in words]
    if not keys:
        return False
    before = text[max(0, start - 80) : start]
    after = text[end : end + 80]
    possessive = after.startswith(("'s", "’s"))
    thing_before = _THING_BEFORE.search(before)
    if thing_before and not possessive:
        between = (thing_before.group("between") or "").split()
        if not any(w.casefold() in _PERSON_NOUNS | STOP_WORDS for w in between):
            return True
    if _THING_AFTER.match(after) or (len(words) > 1 and _CAPITAL_ARTICLE.search(before)):
        return True
    if _HOME_ON.search(before) and not possessive:
        return True
    names, popular = given_names()
    run = _ARTICLE_RUN.search(before)
    if run and all(
        is_english_word(k) and k not in popular
        for k in [w.casefold() for w in run.group(1).split()] + keys[-1:]
    ):
        return True
    run_into = _RUN_INTO.match(after)
    if run_into and not NAME_PREFIX.match(run_into.group(1)):
        return True
    # English words only, none a popular given name, after another capitalized English word or
    # in a text of identifiers: "Administration File Manager", "devmapper: Thin Pool has".
    if all(len(k) > 1 and is_english_word(k) and k not in popular for k in keys) and (
        _CAPITALIZED_WORD_BEFORE.search(before)
        and is_english_word(_CAPITALIZED_WORD_BEFORE.search(before).group(1).casefold())
        or _IDENTIFIER_IN_TEXT.search(text)
    ):
        return True
    # A word used as a modifier before an adjective and a noun: "Korvanu planetary infantry".
    if len(keys) == 1 and keys[0] not in names and _MODIFIER_AFTER.match(after):
        return True
    comma = _AFTER_COMMA.search(before)
    if comma and _PLACE_END.match(after):
        place_before = _place(comma.group(1).casefold())
        if place_before or _place(" ".join(keys)):
            return True
    return (
        not any(k in popular for k in keys)
        and any(len(k) > 2 and k not in names and (_english(k) or len(keys) == 1) for k in keys)
        and _title_line(text, start)
    )


# A request about a style: "in the style of dorian vell and Maya Quist (Copy Wizard) as
# well as Teo Marsh": every name up to the sentence's end.
_STYLE_OF = re.compile(r"\b(?i:styles?[ \t]+of|in[ \t]+the[ \t]+manner[ \t]+of)[ \t]+")
_SENTENCE_END = re.compile(r"[.!?;\n]")
_FULL_STOP = re.compile(r"[.!?\n]")
# An original character beside the characters of a published work: "brooding Kael Varo;
# ... and wistful original female character Lina Dovra".
_ORIGINAL = re.compile(r"\boriginal[ \t]+(?:[a-z]+[ \t]+){0,2}characters?[ \t]+")
# The figures of a religion or a myth, and the others of their sentence: "Why did Sage
# Varunesh come to Malti's swayamvar?"; not a person the user knows ("my son Arjun").
_SACRED_TITLE = re.compile(
    r"\b(?:Lord|Sage|Saint|Prophet|Goddess|God|Guru|Rishi|Maharishi)[ \t]+[A-Z]"
)
_OWN_BEFORE = re.compile(r"(?i:\b(?:my|our|your|his|her|their)[ \t]+(?:[\w'’-]+[ \t]+){0,2})$")
# What only the famous are known by: "Otto Brandl's technqiues", "Vell's filmography".
_ART_AFTER = re.compile(
    r"^['’]s[ \t]+(?:[a-z]+[ \t]+)?(?:techn\w*|filmography|discography|oeuvre|cinematography"
    r"|brushwork|directing[ \t]+style|writing[ \t]+style)\b"
)
# Recasting a role in a script: "replace Arno Pellig with the villain", "kill off
# his character and replace him with Teo Marsh", in a text about a script or a film.
_REPLACE_BEFORE = re.compile(
    r"\breplac(?:e|es|ed|ing)[ \t]+(?:(?:him|her|them|[\w'’.-]+(?:[ \t]+[\w'’.-]+){0,2})"
    r"[ \t]+with[ \t]+(?:the[ \t]+)?)?$"
)
_SCREEN_TEXT = re.compile(r"\b(?i:script|screenplay|film|movie|episode|sitcom|sequel|franchise)\b")
# A reference list's line, author first: "Nila Storr: Quiet Rivers - A Study of Flow,
# Harbor Publ".
_REFERENCE_LINE = re.compile(
    r"^[ \t]*:[ \t]+[A-Z][^\n]*(?:\bPubl\w*|\bPress\b|\bBooks\b|\bEdition\b|\bed\.|"
    r"\((?:19|20)\d\d\))"
)
_LINE_START = re.compile(r"(?:^|\n)[ \t]*(?:[-*•][ \t]*|\d+[.)][ \t]*)?$")


def public_by_role(text: str, persons: Iterable[Span]) -> set[str]:
    """The names, casefolded, of the PERSON findings `persons` of `text` that the words around
    them make public figures or published characters: a style's model, an artist's technique, a
    role recast in a script or a film, a reference list's author, the figures of a sentence
    with a sacred title, the other characters beside an original one; never a name a possessive
    introduces ("my friend Anna")."""
    persons = sorted(set(persons))
    public: list[Span] = []
    for start, end in persons:
        before = text[max(0, start - 80) : start]
        after = text[end : end + 120]
        name_end = end - 2 if text[start:end].endswith(("'s", "’s")) else end
        if (
            _ART_AFTER.match(text[name_end : name_end + 40])
            or (_REPLACE_BEFORE.search(before) and _SCREEN_TEXT.search(text))
            or (_LINE_START.search(before) and _REFERENCE_LINE.match(after))
        ):
            public.append((start, end))
    for style in _STYLE_OF.finditer(text):
        stop = _SENTENCE_END.search(text, style.end())
        limit = stop.start() if stop else len(text)
        public += [(s, e) for s, e in persons if style.end() <= s and e <= limit]
    for sacred in _SACRED_TITLE.finditer(text):
        ends = [m.end() for m in _FULL_STOP.finditer(text, 0, sacred.start())]
        sentence_start = ends[-1] if ends else 0
        stop = _FULL_STOP.search(text, sacred.end())
        limit = stop.start() if stop else len(text)
        public += [(s, e) for s, e in persons if sentence_start <= s and e <= limit]
    for original in _ORIGINAL.finditer(text):
        ends = [m.end() for m in _FULL_STOP.finditer(text, 0, original.start())]
        sentence_start = ends[-1] if ends else 0
        stop = _FULL_STOP.search(text, original.end())
        limit = stop.start() if stop else len(text)
        public += [
            (s, e) for s, e in persons if sentence_start <= s and e <= limit and s != original.end()
        ]
    names = set()
    for start, end in public:
        if _OWN_BEFORE.search(text[max(0, start - 40) : start]):
            continue
        name = re.sub(r"['’]s$", "", text[start:end].strip())
        names.add(" ".join(name.split()).casefold())
    return names


@cache
def listed_prefixes(listed: frozenset[str]) -> frozenset[str]:
    """The first two words or more of the listed public figures of three words or more,
    casefolded: "martin luther" of "Martin Luther King"."""
    prefixes = set()
    for name in listed:
        words = name.split()
        prefixes |= {" ".join(words[:n]) for n in range(2, len(words))}
    return frozenset(prefixes)
