"""Recognizers that Presidio lacks or gets wrong for chat and annotation text, by family.

Each one is a Presidio recognizer, so the analyzer runs, scores and explains it like its own.
Replacements for Presidio's (`contact`): an e-mail recognizer that never reaches the network, a
phone recognizer that runs `phonenumbers` only where digits are, public-only IP addresses, and URLs
only when their path names a person. Additions: street addresses and postcodes (`addresses`),
identifiers, crowd-platform IDs, secrets and named card or license numbers (`identifiers`), names
from a gazetteer of given names (`names`, `name_rules`) and names announced by their lead-in
(`lead_ins`). `words` holds the word lists they and the detector's name filter consult.
"""

from pipelines.privacy.recognizers.addresses import StreetAddressRecognizer, postcode_recognizer
from pipelines.privacy.recognizers.base import CapturedRecognizer, DeclaredPatternRecognizer
from pipelines.privacy.recognizers.contact import (
    FastPhoneRecognizer,
    HandleRecognizer,
    OfflineEmailRecognizer,
    PersonalUrlRecognizer,
    PublicIpRecognizer,
)
from pipelines.privacy.recognizers.identifiers import (
    IDENTIFIER_WORD,
    IdentifierRecognizer,
    PlatformIdRecognizer,
    SecretRecognizer,
    card_number_recognizer,
    driver_license_recognizer,
)
from pipelines.privacy.recognizers.lead_ins import (
    introduced_name_recognizer,
    lead_in_name_recognizers,
)
from pipelines.privacy.recognizers.name_rules import mid_sentence
from pipelines.privacy.recognizers.names import GivenNameRecognizer
from pipelines.privacy.recognizers.words import (
    NAME_ENDS,
    NAME_PARTICLES,
    TRAVEL,
    foreign_stop_words,
    given_names,
    is_english_word,
    is_given_name,
    sentence_around,
)

__all__ = [
    "IDENTIFIER_WORD",
    "NAME_ENDS",
    "NAME_PARTICLES",
    "TRAVEL",
    "CapturedRecognizer",
    "DeclaredPatternRecognizer",
    "FastPhoneRecognizer",
    "GivenNameRecognizer",
    "HandleRecognizer",
    "IdentifierRecognizer",
    "OfflineEmailRecognizer",
    "PersonalUrlRecognizer",
    "PlatformIdRecognizer",
    "PublicIpRecognizer",
    "SecretRecognizer",
    "StreetAddressRecognizer",
    "card_number_recognizer",
    "driver_license_recognizer",
    "foreign_stop_words",
    "given_names",
    "introduced_name_recognizer",
    "is_english_word",
    "is_given_name",
    "lead_in_name_recognizers",
    "mid_sentence",
    "postcode_recognizer",
    "sentence_around",
]
