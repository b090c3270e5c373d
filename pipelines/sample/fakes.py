"""Fake personal data that looks real to a scrubber, and templates that remember where it went.

Every value a template plants is returned with its character span, so the ground-truth manifest
records exactly what a scrubber must find (or, for decoys, must leave alone). Card numbers pass the
Luhn check and IBANs the mod-97 check, because recognizers validate them and would ignore fakes
that fail.
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Mapping
from dataclasses import dataclass

_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Planted:
    """A value put into text on purpose: personal data (`entity_type`) or a decoy (`decoy`)."""

    value: str
    entity_type: str | None = None
    decoy: str | None = None


def pii(value: str, entity_type: str) -> Planted:
    return Planted(value, entity_type=entity_type)


def decoy(value: str, kind: str) -> Planted:
    return Planted(value, decoy=kind)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    planted: Planted


Slot = str | Planted


def render(template: str, slots: Mapping[str, Slot]) -> tuple[str, list[Span]]:
    """Fill a `str.format` template; spans of the planted values are in the filled text."""
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    for literal, name, _spec, _conversion in _FORMATTER.parse(template):
        parts.append(literal)
        length += len(literal)
        if name is None:
            continue
        slot = slots[name]
        text = slot.value if isinstance(slot, Planted) else slot
        if isinstance(slot, Planted):
            spans.append(Span(length, length + len(text), slot))
        parts.append(text)
        length += len(text)
    return "".join(parts), spans


def join(pieces: list[tuple[str, list[Span]]], separator: str = "") -> tuple[str, list[Span]]:
    """Concatenate rendered pieces, shifting their spans."""
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    for index, (text, piece_spans) in enumerate(pieces):
        if index:
            parts.append(separator)
            length += len(separator)
        spans.extend(Span(s.start + length, s.end + length, s.planted) for s in piece_spans)
        parts.append(text)
        length += len(text)
    return "".join(parts), spans


def hex_id(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def luhn_card(rng: random.Random) -> str:
    """A 16-digit Visa or Mastercard number with a valid Luhn check digit, in groups of four."""
    digits = [int(d) for d in rng.choice(["4", "51", "52", "53", "55"])]
    while len(digits) < 15:
        digits.append(rng.randrange(10))
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if position % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    digits.append((10 - total % 10) % 10)
    number = "".join(map(str, digits))
    separator = rng.choice([" ", "-", ""])
    return separator.join(number[i : i + 4] for i in range(0, 16, 4))


_IBAN_BBAN = {"DE": (18, "digits"), "FR": (23, "digits"), "ES": (20, "digits"), "NL": (14, "bank")}


def iban(rng: random.Random) -> str:
    """An IBAN with valid mod-97 check digits, printed in groups of four."""
    country = rng.choice(sorted(_IBAN_BBAN))
    size, kind = _IBAN_BBAN[country]
    if kind == "bank":
        bban = rng.choice(["ABNA", "INGB", "RABO"]) + "".join(
            str(rng.randrange(10)) for _ in range(size - 4)
        )
    else:
        bban = "".join(str(rng.randrange(10)) for _ in range(size))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    compact = f"{country}{check:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def us_ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10000):04d}"


def us_phone(rng: random.Random) -> str:
    area = rng.choice([212, 305, 312, 415, 503, 512, 617, 646, 702, 718, 773, 818, 917])
    exchange = rng.randrange(201, 990)
    line = rng.randrange(1000, 10000)
    style = rng.randrange(4)
    return [
        f"({area}) {exchange}-{line}",
        f"{area}-{exchange}-{line}",
        f"+1 {area} {exchange} {line}",
        f"{area}.{exchange}.{line}",
    ][style]


INTERNATIONAL_PHONES = {
    "United Kingdom": lambda r: f"+44 20 {r.randrange(7000, 8000)} {r.randrange(1000, 10000)}",
    "Germany": lambda r: f"+49 30 {r.randrange(100000, 999999)}",
    "France": lambda r: (
        f"+33 6 {r.randrange(10, 99)} {r.randrange(10, 99)} "
        f"{r.randrange(10, 99)} {r.randrange(10, 99)}"
    ),
    "India": lambda r: f"+91 98{r.randrange(100, 999)} {r.randrange(10000, 99999)}",
    "Canada": lambda r: f"+1 416 {r.randrange(201, 990)} {r.randrange(1000, 10000)}",
    "China": lambda r: f"+86 139 {r.randrange(1000, 9999)} {r.randrange(1000, 9999)}",
}


def public_ipv4(rng: random.Random) -> str:
    """An address outside private, loopback, documentation and multicast ranges."""
    first = rng.choice([24, 47, 68, 73, 81, 84, 89, 96, 104, 142, 151, 176, 185, 212])
    return f"{first}.{rng.randrange(1, 255)}.{rng.randrange(0, 255)}.{rng.randrange(1, 255)}"


PRIVATE_IPS = ["192.168.1.10", "10.0.0.5", "127.0.0.1", "192.168.0.23", "172.16.4.2"]


def openai_key(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits
    return "sk-" + "".join(rng.choice(alphabet) for _ in range(48))


def aws_key(rng: random.Random) -> str:
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def github_token(rng: random.Random) -> str:
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
