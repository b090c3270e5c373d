"""What a text must hold for a regex to match anywhere in it, read from the regex's parse tree.

Most of the detector's patterns cannot match most texts: a street address needs a street's word
("Street", "Avenue", "rue"), a self-statement a verb of residence or work, an identifier a digit.
`requirements(pattern, flags)` reads, from the standard library's parse of the pattern, a few sets
of strings such that every match holds at least one string of each set: the literal words the
pattern spells out, a digit where every match needs one, the punctuation it cannot do without.
`Gates` answers, for one text and the requirements of many patterns, whether it holds one of each;
where it does not, the pattern is not run, and nothing it could have found is lost.

Case-insensitive words are looked for in the text in lower case, after the few characters that
case-insensitive matching takes for an ASCII letter although their lower case is not that letter
("K" Kelvin sign, "ſ" long s, "ı" and "İ": `FOLD`). A pattern whose syntax the standard parser
reads otherwise than Presidio's `regex` module does (fuzzy matching, POSIX classes, full case
folding, version-1 sets), or cannot read, gets no requirement: it runs on every text.
"""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parser
from collections.abc import Iterable
from functools import cache

import regex

# Atoms: "#" and a number, a run of at least that many decimal digits (as `\d` reads one: any of
# Unicode); a string prefixed "=" (matched as written) or "~" (case-insensitively: an ASCII
# string in lower case).
DIGIT = "#1"
DIGITS = frozenset("0123456789")
FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
# Flags whose meaning the standard parser shares with `regex`; any other: no requirement.
# (An int: the complement of a `re.RegexFlag` keeps only the flags `re` defines.)
PLAIN_FLAGS = int(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.UNICODE | re.VERBOSE)
# The sets of a pattern that are checked, the most telling first: each costs a lookup per text.
KEPT_SETS = 4
# A character class of more characters than this tells too little to be worth checking.
MAX_CLASS = 8
# `\K` (where the reported match starts) consumes nothing: read without it.
_KEEP_OUT = re.compile(r"(?<!\\)((?:\\\\)*)\\K")
# Syntax of `regex` that the standard parser would read as literal characters.
_REGEX_ONLY = re.compile(r"\[:\^?[A-Za-z]+:\]|\{(?![0-9]*,?[0-9]*\})")

_RE_DIGITS = re.compile(r"\d+")
_REGEX_DIGITS = regex.compile(r"\d+")

Requirement = tuple[frozenset[str], ...]


@cache
def requirements(pattern: str, flags: int) -> Requirement:
    """Sets of atoms; a text that lacks every atom of one of them has no match of the pattern.
    Empty: nothing is required (or the pattern is not read)."""
    if int(flags) & ~PLAIN_FLAGS or _REGEX_ONLY.search(_unescaped(pattern)):
        return ()
    try:
        parsed = sre_parser.parse(_KEEP_OUT.sub(r"\1", pattern), flags)
    except Exception:  # noqa: BLE001 (syntax of the `regex` module only: no requirement)
        return ()
    found = {_fewest_digits(s) for s in _sequence(parsed, bool(parsed.state.flags & re.IGNORECASE))}
    if _needs_digit(parsed):
        found.add(frozenset({DIGIT}))
    # A run of digits implies every shorter one: only the longest required run is checked.
    runs = [_run(s) for s in found]
    found = {s for s, run in zip(found, runs, strict=True) if not run or run == max(runs)}
    telling = sorted((s for s in found if _telling(s)), key=lambda s: (-_rank(s), sorted(s)))
    telling = telling[:KEPT_SETS]
    # The smallest sets first: a text that lacks one is rejected after the fewest lookups.
    return tuple(sorted(telling, key=len))


def _fewest_digits(choices: frozenset[str]) -> frozenset[str]:
    """Of several runs of digits that would do, the shortest: the others hold it."""
    runs = sorted(atom for atom in choices if atom[0] == "#")
    if len(runs) < 2:
        return choices
    shortest = min(runs, key=lambda atom: int(atom[1:]))
    return frozenset(atom for atom in choices if atom[0] != "#" or atom == shortest)


def _run(choices: frozenset[str]) -> int:
    """The run of digits a set of a single run requires; 0 for any other set."""
    (atom,) = choices if len(choices) == 1 else ("",)
    return int(atom[1:]) if atom[:1] == "#" else 0


def _unescaped(pattern: str) -> str:
    """The pattern without its escaped characters (`\\{` is a brace in both parsers)."""
    return re.sub(r"\\.", "", pattern, flags=re.DOTALL)


def _weight(atom: str) -> float:
    """How seldom a text holds the atom, roughly: longer strings are rarer, spaces never are."""
    body = atom[1:]
    if atom[0] == "#":
        return 1.5 + int(body)
    if body.isspace():
        return 0
    return 2 if len(body) == 1 and not body.isalnum() else len(body)


def _rank(choices: frozenset[str]) -> float:
    return min(map(_weight, choices))


def _telling(choices: frozenset[str]) -> bool:
    """Worth checking: no atom in it is a space or a single letter, which every text holds."""
    return _rank(choices) >= 2


def _atom(text: str, ignore_case: bool) -> str:
    return "~" + text.lower() if ignore_case else "=" + text


def _sequence(items: object, ignore_case: bool) -> list[frozenset[str]]:
    """The sets every match of the sequence satisfies: its runs of literal characters and of
    digits, and what its groups, repeats, branches and lookarounds require."""
    need: list[frozenset[str]] = []
    run: list[str] = []
    digits = 0

    def end_run() -> None:
        if run:
            need.append(frozenset({_atom("".join(run), ignore_case)}))
            run.clear()

    def end_digits() -> None:
        nonlocal digits
        if digits:
            need.append(frozenset({f"#{digits}"}))
            digits = 0

    for op, argument in items:  # type: ignore[attr-defined]
        # Digits in a row: each one after the other, however many an earlier repeat took.
        if op is sre.IN and _all_digits(argument) or op is sre.LITERAL and chr(argument) in DIGITS:
            digits += 1
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and _digit_item(
            argument[2]
        ):
            if argument[0] >= 1:
                digits += argument[0]
            else:
                end_digits()
        else:
            end_digits()
        if op is sre.LITERAL and (not ignore_case or chr(argument).isascii()):
            run.append(chr(argument))
            continue
        end_run()
        if op is sre.IN:
            choices = _class(argument, ignore_case)
            if choices:
                need.append(choices)
        elif op is sre.SUBPATTERN:
            _, add, remove, sequence = argument
            case = (ignore_case or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE
            need += _sequence(sequence, case)
        elif op is sre.ATOMIC_GROUP:
            need += _sequence(argument, ignore_case)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, _, repeated = argument
            if low >= 1:
                need += _sequence(repeated, ignore_case)
        elif op is sre.ASSERT:
            # A lookahead or lookbehind that must match: what it requires is in the text.
            need += _sequence(argument[1], ignore_case)
        elif op is sre.BRANCH:
            union: set[str] = set()
            for branch in argument[1]:
                sets = _sequence(branch, ignore_case)
                if not sets:
                    union = set()
                    break
                union |= max(sets, key=_rank)
            if union:
                need.append(frozenset(union))
        # Anything else (any character, categories, negative lookarounds, anchors, back
        # references) requires nothing that can be named.
    end_run()
    end_digits()
    return need


def _digit_item(sequence: object) -> bool:
    """A single digit: `\\d`, `[0-9]`, `7`."""
    items = list(sequence)  # type: ignore[call-overload]
    if len(items) != 1:
        return False
    op, argument = items[0]
    return op is sre.IN and _all_digits(argument) or op is sre.LITERAL and chr(argument) in DIGITS


def _class(items: list, ignore_case: bool) -> frozenset[str] | None:
    """A class of digits only is a digit; a few characters (not letters, when case is ignored)
    are each an atom; anything else requires nothing nameable."""
    if _all_digits(items):
        return frozenset({DIGIT})
    chars = []
    for op, argument in items:
        if op is not sre.LITERAL:
            return None
        char = chr(argument)
        if ignore_case and (char.isalpha() or not char.isascii()):
            return None
        chars.append(char)
    if 0 < len(chars) <= MAX_CLASS:
        return frozenset(_atom(char, ignore_case) for char in chars)
    return None


def _needs_digit(sequence: object) -> bool:
    """Some item of the sequence always matches a digit, or asserts one around the match."""
    for op, argument in sequence:  # type: ignore[attr-defined]
        if op is sre.LITERAL and chr(argument) in DIGITS:
            return True
        if op is sre.IN and _all_digits(argument):
            return True
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, _, repeated = argument
            if low >= 1 and _needs_digit(repeated):
                return True
        if op is sre.SUBPATTERN and _needs_digit(argument[-1]):
            return True
        if op is sre.ATOMIC_GROUP and _needs_digit(argument):
            return True
        if op is sre.BRANCH and all(_needs_digit(branch) for branch in argument[1]):
            return True
        if op is sre.ASSERT and _needs_digit(argument[1]):
            return True
    return False


def _all_digits(items: list) -> bool:
    """A character class of digits only: `[0-9]`, `\\d`, `[0-5]`, `[13579]`."""
    return bool(items) and all(
        (op is sre.LITERAL and chr(argument) in DIGITS)
        or (op is sre.RANGE and ord("0") <= argument[0] and argument[1] <= ord("9"))
        or (op is sre.CATEGORY and argument is sre.CATEGORY_DIGIT)
        for op, argument in items
    )


def fold(text: str) -> str:
    """The text as case-insensitive words are looked for in it."""
    return text.lower() if text.isascii() else text.translate(FOLD).lower()


def longest_digit_run(text: str) -> int:
    """The most digits in a row, as either engine reads `\\d` (their Unicode versions may
    differ)."""
    engines = (_RE_DIGITS,) if text.isascii() else (_RE_DIGITS, _REGEX_DIGITS)
    return max((len(run) for engine in engines for run in engine.findall(text)), default=0)


# A set of more strings than this is looked for by one search for any of them.
MAX_SCANS = 4

# How a set's strings are looked for in the text: none; one; each of a few; one search for all.
_NONE, _ONE, _EACH, _SEARCH = range(4)
Probe = tuple[int, object]


class Gates:
    """The requirements of many patterns, checked together on a text: `met` tells, per distinct
    requirement, whether the text holds an atom of each of its sets, looking each distinct set
    up once."""

    def __init__(self, requirements: Iterable[Requirement]):
        self.requirements = list(dict.fromkeys(requirements))
        self.index = {required: i for i, required in enumerate(self.requirements)}
        sets = list(dict.fromkeys(s for required in self.requirements for s in required))
        number = {choices: i for i, choices in enumerate(sets)}
        self._sets = [tuple(number[s] for s in required) for required in self.requirements]
        # Per set: the fewest digits in a row that would do (0: none would), and how its strings
        # are looked for in the text as written and folded.
        self._lookups = [
            (
                min((int(atom[1:]) for atom in choices if atom[0] == "#"), default=0),
                _probe(atom[1:] for atom in choices if atom[0] == "="),
                _probe(atom[1:] for atom in choices if atom[0] == "~"),
            )
            for choices in sets
        ]

    def met(self, text: str) -> list[bool]:
        """Per requirement, by `index`, whether the text holds an atom of each of its sets."""
        lookups = self._lookups
        held: list[bool | None] = [None] * len(lookups)
        folded = run = None
        met = []
        for sets in self._sets:
            for i in sets:
                found = held[i]
                if found is None:
                    digits, written, case_free = lookups[i]
                    if digits:
                        if run is None:
                            run = longest_digit_run(text)
                        found = run >= digits
                    if not found and written[0]:
                        found = _found(written, text)
                    if not found and case_free[0]:
                        if folded is None:
                            folded = fold(text)
                        found = _found(case_free, folded)
                    held[i] = found
                if not found:
                    met.append(False)
                    break
            else:
                met.append(True)
        return met


class PatternGates:
    """Compiled patterns, checked together on a text (`Gates`): `may_match` tells, per pattern,
    whether the text holds what every match of it holds."""

    def __init__(self, patterns: Iterable[re.Pattern[str]]):
        required = [requirements(pattern.pattern, pattern.flags) for pattern in patterns]
        self.gates = Gates(required)
        self.indexes = [self.gates.index[r] for r in required]

    def may_match(self, text: str) -> list[bool]:
        met = self.gates.met(text)
        return [met[index] for index in self.indexes]


def _probe(strings: Iterable[str]) -> Probe:
    strings = sorted(strings)
    if not strings:
        return _NONE, None
    if len(strings) == 1:
        return _ONE, strings[0]
    if len(strings) <= MAX_SCANS:
        return _EACH, tuple(strings)
    trie: dict = {}
    for string in strings:
        node = trie
        for char in string:
            node = node.setdefault(char, {})
        node[""] = {}
    return _SEARCH, re.compile(_alternatives(trie)).search


def _alternatives(trie: dict) -> str:
    """A regex of the strings of a trie, branching on one character at a time: the engine tries
    few branches at each place of the text (one branch per string would try every one)."""
    branches = [re.escape(char) + _alternatives(node) for char, node in trie.items() if char]
    if not branches:
        return ""
    pattern = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{pattern})?" if "" in trie else pattern


def _found(probe: Probe, text: str) -> bool:
    how, strings = probe
    if how == _ONE:
        return strings in text  # type: ignore[operator]
    if how == _EACH:
        return any(string in text for string in strings)  # type: ignore[attr-defined]
    return strings(text) is not None  # type: ignore[operator]
