"""The phone recognizer's matcher skips only candidates that no region's metadata lets be valid:
it finds what `phonenumbers.PhoneNumberMatcher` finds."""

from __future__ import annotations

import random

import phonenumbers

from pipelines.privacy.recognizers.contact import (
    MIN_VALID_DIGITS,
    FastPhoneRecognizer,
    ShortCandidateMatcher,
)


def test_no_region_has_valid_numbers_shorter_than_the_fewest_digits():
    metadata = [
        phonenumbers.PhoneMetadata.metadata_for_region(r) for r in phonenumbers.SUPPORTED_REGIONS
    ]
    metadata += [
        phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code)
        for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS
    ]
    lengths = [m.general_desc.possible_length for m in metadata]
    assert all(lengths)
    assert min(min(possible) for possible in lengths) == MIN_VALID_DIGITS


def _texts() -> list[str]:
    """Runs of digits in the shapes of tables, dates and numbers of many countries."""
    shuffle = random.Random(7)
    texts = [
        "call +49 30 1234 or 0049 30 12345, +1 (212) 555-0187, 06 12 34 56 78",
        "table 13.6 4.6 1 2 2024-03-20 0.323 1005567541248 +44 20 7946 0958",
        "+61 2 9876 5432; 0011 61 2 9876 5432; 011 44 20 7946 0958; +31 20 123 4567",
        "ext 1234 x56 tel:+49-30-1234; 1-800-FLOWERS; ١٢٣٤٥٦٧ and +972 3 123 4567",
        "0300 1234 030 12345 08 9876 54321 +86 10 1234 5678 (0)20 7946 0958",
    ]
    for _ in range(300):
        parts = []
        for _ in range(shuffle.randint(1, 6)):
            lead = shuffle.choice(["", "", "+", "00", "0", "(", "011 "])
            digits = "".join(shuffle.choice("0123456789") for _ in range(shuffle.randint(1, 6)))
            parts.append(lead + digits + shuffle.choice(["", ")", ".", "-", ""]))
        texts.append(shuffle.choice([" ", "-", ". ", " / "]).join(parts))
    return texts


def test_the_matcher_finds_what_phonenumbers_finds_in_every_region():
    for text in _texts():
        for region in FastPhoneRecognizer.REGIONS:
            expected = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, region, 1)]
            found = [(m.start, m.end) for m in ShortCandidateMatcher(text, region, 1)]
            assert found == expected, (text, region)
