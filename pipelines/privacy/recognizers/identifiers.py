"""Identifiers and codes: numbers introduced as identifiers, crowd-platform IDs, secrets, card
numbers and driver's licenses named as such.
"""

from __future__ import annotations

import re

from presidio_analyzer import (
    AnalysisExplanation,
    Pattern,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts

from pipelines.privacy.recognizers.base import CapturedRecognizer, DeclaredPatternRecognizer

# What a number or code is introduced as: "order", "ticket", "student id", "passport".
_ID_NOUNS = (
    r"order|purchase[ \t]order|booking|reservation|confirmation|invoice|receipt|transaction"
    r"|payment|quote|gift[ \t]card|voucher|coupon|promo|ticket|case|claim|complaint|incident"
    r"|request|docket|application|applicant|file|account|customer|client|member(?:ship)?"
    r"|loyalty|frequent[ \t]flyer|subscriber|user|library[ \t]card|meter|contract|loan"
    r"|mortgage|policy|insurance|student|employee|staff|badge|payroll|patient|hospital"
    r"|medical[ \t]record|candidate|registration|roll|enrol?ment|matriculation|passport"
    r"|id[ \t]card|identity[ \t]card|national[ \t]id|identification|(?<!driver['’]?s?[ \t])"
    r"(?<!driving[ \t])licen[cs]e|permit|tax|vat|birth[ \t]certificate|certificate|voter"
    r"|social[ \t]insurance|green[ \t]card|visa|tracking|parcel|shipment|waybill|consignment"
    r"|serial|device|imei|warranty|product|return[ \t]authori[sz]ation|delivery|package|lot"
    r"|access|verification|login|username|reference|ref|id|pin|dni|nie|nif|aktenzeichen|expediente"
    r"|dossier|protocolo|pratica|referencia|r[ée]f[ée]rence|r[ée]f|zam[óo]wienie"
    # Compounds of Germanic languages: "Bestellnummer", "klantnummer", "Kundennr".
    r"|\w+(?:nummer|nr)"
)
# What names the value an identifier: "number", "no.", "#", "ID", "code".
_ID_WORDS = (
    r"number|numbers|no\.?|nos\.?|nr\.?|num\.?|n[°º]\.?|id|ids|code|reference|ref\.?"
    r"|key|plate|pin|identifier"
)
# A number introduced in another language: "numéro de commande", "número do pedido", "N° de".
_FOREIGN_ID_LEAD = (
    r"(?:num[ée]ro|n[úu]mero|n[°º]\.?|nr\.?|c[óo]digo|codice)"
    r"(?:[ \t]+(?:(?:de|du|do|da|di|del|della|d['’])[ \t]*)?"
    r"(?!t[ée]l[ée]fon|t[ée]l[ée]phone|m[óo]vil|portable|celular|cellulare|handy)[^\W\d]+)?"
)
# A verb or colon between the lead-in and the value: "is", "est", "ist", "è", ":".
_ID_LINK = r"(?:[ \t]+(?:is|was|are|es|est|ist|è|é|är|er|jest))?[ \t]*[:=]?[ \t]*(?:#[ \t]*)?"
# The value: letters, digits and inner separators, with a digit, not a price or a measure.
_ID_VALUE = (
    r"(?<![\w$€£¥.,/-])(?=[\w/.:-]*\d)[A-Za-z0-9](?:[A-Za-z0-9]|[-/.:](?=[A-Za-z0-9])){2,39}"
    r"(?![\w$%€£-]|[.,]\d|[ \t]*(?:%|(?:units?|pieces?|pcs|items?|boxes|people|users|followers"
    r"|steps|pages|words|rows|times|minutes|hours|days|weeks|months|years|km|kg|g|mb|gb|kb|ms|mg"
    r"|ml|cm|mm|lbs?|dollars|euros|pounds|usd|eur|gbp)\b))"
)


# A word that names an identifier, never part of a person's name: "Rechnungsnummer", "Número".
IDENTIFIER_WORD = re.compile(
    r"(?i:number|no|nr|num|id|ids|code|reference|ref|identifier|num[ée]ro|n[úu]mero"
    r"|\w+(?:nummer|nr)|zam[óo]wienie|expediente|aktenzeichen|dni|nif)"
)


class IdentifierRecognizer(DeclaredPatternRecognizer):
    """A number or code introduced as an identifier: "order #A7712093", "student ID 20231187",
    "passport no. X4471209", "numéro de dossier : DS-77120", "Kundennummer KD77120".

    Only the value is the finding (`\\K` drops the lead-in; Presidio matches with `regex`). A
    version, year, price, quantity or section number has no such lead-in; a bare noun followed
    by digits only ("order 2500 pieces", "the account 2019 report") needs five digits and no
    unit after it, and a date or a year alone is never an identifier.
    """

    ENTITY = "ID_NUMBER"
    PATTERNS = [
        Pattern(
            "value after its name and an identifier word",
            rf"\b(?:(?:{_ID_NOUNS})(?:[ \t]+(?:{_ID_WORDS})(?!\w)\.?"
            rf"|(?=[ \t]+(?:is|was|es|est|ist|è|é|är)\b|[ \t]*[:#]))"
            rf"|(?:id|pin|ref\.?|reference|nr\.?|n[°º]|{_FOREIGN_ID_LEAD})(?!\w)\.?)"
            rf"{_ID_LINK}\K{_ID_VALUE}",
            0.7,
        ),
        Pattern(
            "value after a bare name: with a letter or separator, or of five digits or more",
            rf"\b(?:{_ID_NOUNS})[ \t]+\K(?:(?=[\w/.:-]*[A-Za-z/:-])(?=[\w/.:-]*\d)"
            rf"|(?=\d{{5,}}(?!\w))){_ID_VALUE}",
            0.6,
        ),
    ]
    REGEX_FLAGS = re.IGNORECASE | re.MULTILINE
    # A year, a date, a time of day, a file name.
    NOT_IDENTIFIERS = re.compile(
        r"(?:19|20)\d\d|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|\d{1,2}:\d{2}(?::\d{2})?"
        r"|.*\.[A-Za-z]{1,5}"
    )

    def invalidate_result(self, pattern_text: str) -> bool:
        """Too short, a year, date, time or file name, or a name in code ("ChatGPT-4",
        "ERC20RebaseDistributor": a capital right after a small letter)."""
        alphanumerics = sum(c.isalnum() for c in pattern_text)
        return (
            alphanumerics < 4
            or bool(self.NOT_IDENTIFIERS.fullmatch(pattern_text))
            or bool(re.search(r"[a-z][A-Z]", pattern_text))
        )


class PlatformIdRecognizer(DeclaredPatternRecognizer):
    """Crowd-platform worker IDs (Prolific and similar): 24 hexadecimal characters."""

    ENTITY = "PLATFORM_ID"
    PATTERNS = [Pattern("24 hex characters", r"(?<![0-9A-Fa-f])[0-9a-f]{24}(?![0-9A-Fa-f])", 0.7)]
    CONTEXT = ["prolific", "worker", "participant", "annotator", "id", "pid"]

    def validate_result(self, pattern_text: str) -> bool:
        # A hex run with no digit or no letter is a word or a number, not an ID.
        return any(c.isdigit() for c in pattern_text) and any(c.isalpha() for c in pattern_text)


class SecretRecognizer(DeclaredPatternRecognizer):
    """API keys, tokens, private keys and passwords given in assignments."""

    ENTITY = "SECRET"
    PATTERNS = [
        Pattern("OpenAI key", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}", 0.9),
        Pattern("AWS access key", r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b", 0.9),
        Pattern("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{30,}\b", 0.9),
        Pattern("GitHub fine-grained token", r"\bgithub_pat_[A-Za-z0-9_]{40,}\b", 0.9),
        Pattern("Slack token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}", 0.9),
        Pattern("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b", 0.9),
        Pattern("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b", 0.9),
        Pattern("Stripe key", r"\b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}\b", 0.9),
        Pattern("JWT", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", 0.8),
        Pattern(
            "private key block",
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----",
            0.95,
        ),
    ]

    # api_key = "...", password: '...', TOKEN="...": the quoted value only.
    ASSIGNED = re.compile(
        r"(?i)(?:api[_-]?key|secret|token|passw(?:or)?d|passwd|pwd)[\"']?\s{0,3}[:=]\s{0,3}"
        r"[\"']([^\"'\s]{8,})[\"']"
    )
    ASSIGNED_SCORE = 0.7

    def gate_patterns(self) -> list[tuple[str, int]]:
        """Its findings are its patterns' matches and the values `ASSIGNED` captures."""
        return [(pattern.regex, self.global_regex_flags) for pattern in self.patterns] + [
            (self.ASSIGNED.pattern, self.ASSIGNED.flags)
        ]

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None, **kwargs
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, **kwargs) or []
        for match in self.ASSIGNED.finditer(text):
            results.append(
                RecognizerResult(
                    "SECRET",
                    match.start(1),
                    match.end(1),
                    self.ASSIGNED_SCORE,
                    AnalysisExplanation(
                        self.name,
                        self.ASSIGNED_SCORE,
                        textual_explanation="value assigned to a secret",
                    ),
                    {
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results


def card_number_recognizer(supported_language: str = "en") -> CapturedRecognizer:
    """A number called a card number, even one that fails the Luhn check (a typo leaks too)."""
    return CapturedRecognizer(
        "CREDIT_CARD",
        "CardNumberRecognizer",
        r"(?i:\b(?:card|cc|visa|mastercard|amex|debit|credit))[^\d\n.?!]{0,25}"
        r"(?<![\d-])((?:\d[ \-]?){11,18}\d)(?![\d-])",
        0.5,
        supported_language,
    )


# A word of a name: Latin letters (the gazetteer's script), with inner apostrophes and hyphens


def driver_license_recognizer(supported_language: str = "en") -> CapturedRecognizer:
    """A number called a driver's license number, in any state's format (Presidio's own
    patterns score a plain run of digits too low to count, context or not)."""
    return CapturedRecognizer(
        "US_DRIVER_LICENSE",
        "DriverLicenseRecognizer",
        r"(?i:\bdriv(?:er['’]?s?|ing)[ \-]licen[cs]e(?:\s+(?:number|no\.?|#|id))?"
        r"(?:\s+is)?\s*[:#]?)\s*(?<![\w-])((?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{4,18})\b",
        0.7,
        supported_language,
    )
