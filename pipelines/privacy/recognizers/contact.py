"""Contact details: e-mail addresses, phone numbers, public IP addresses, URLs that lead to a
person, and @handles.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache

import phonenumbers
import tldextract
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import EmailRecognizer, IpRecognizer

from pipelines.privacy.recognizers.base import DeclaredPatternRecognizer

# The suffix snapshot bundled with tldextract; no URL to fetch and no cache to write.
OFFLINE_TLD_EXTRACTOR = tldextract.TLDExtract(
    cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail patterns, validated against the bundled public suffix list only."""

    def validate_result(self, pattern_text: str) -> bool:
        return OFFLINE_TLD_EXTRACTOR(pattern_text).fqdn != ""


class PublicIpRecognizer(IpRecognizer):
    """IP addresses, except private, loopback, link-local and other non-personal ranges."""

    def invalidate_result(self, pattern_text: str) -> bool:
        try:
            address = ipaddress.ip_interface(pattern_text.strip()).ip
        except ValueError:
            return True
        return not address.is_global


# The fewest digits of a valid number of any region: the shortest length `phonenumbers` allows
# for a region's numbers (`general_desc.possible_length`; a test keeps it true).
MIN_VALID_DIGITS = 4
_LETTER = re.compile("[A-Za-z]")


@cache
def min_digits(region: str) -> int:
    """The fewest digits of a candidate that parses to a valid number in the region: a number of
    its calling code's regions, or a calling code (a digit at least) and any region's number."""
    code = phonenumbers.country_code_for_region(region)
    shortest = min(
        min(phonenumbers.PhoneMetadata.metadata_for_region(other).general_desc.possible_length)
        for other in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code]
    )
    return min(shortest, 1 + MIN_VALID_DIGITS)


class ShortCandidateMatcher(phonenumbers.PhoneNumberMatcher):
    """`phonenumbers.PhoneNumberMatcher`, which does not parse a candidate too short to be valid.

    Most candidates in a table of figures ("13.6", "1 2", "2024") hold fewer digits than any
    number of the region, and parsing them is most of the matcher's time. A number parsed from a
    candidate holds only the candidate's digits, unless letters spell digits ("1-800-FLOWERS") or
    another script's digits count: those candidates are parsed.
    """

    def __init__(self, text: str, region: str, leniency: int):
        super().__init__(text, region, leniency)
        self.min_digits = min_digits(region)

    def _parse_and_verify(self, candidate: str, offset: int):  # noqa: ANN202 (the library's)
        if (
            candidate.isascii()
            and sum(map(str.isdigit, candidate)) < self.min_digits
            and not _LETTER.search(candidate)
        ):
            return None
        return super()._parse_and_verify(candidate, offset)


class FastPhoneRecognizer(LocalRecognizer):
    """Presidio's phone recognizer, run only on the stretches of text that hold enough digits.

    `phonenumbers.PhoneNumberMatcher` scans the whole text once per region, which makes it most of
    Presidio's regex time on long texts; almost every chat message has no run of seven digits, so
    a cheap candidate regex first and the matcher on a window around each candidate finds the same
    numbers at a fraction of the cost.
    """

    SCORE = 0.4
    CONTEXT = [
        "phone",
        "number",
        "telephone",
        "cell",
        "cellphone",
        "mobile",
        "call",
        "tel",
        "whatsapp",
        "text",
        "fax",
    ]
    REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR", "AU", "ES", "IT", "NL", "CN")
    CANDIDATE = re.compile(r"[+(]?\d[\d \t().\-/]{5,}\d(?:\s?(?:x|ext\.?)\s?\d{1,5})?")
    MIN_DIGITS = 7
    WINDOW = 8
    # A number that `phonenumbers` cannot place (no area code, a region not tried, a made-up
    # range) is still a phone number when its label says so: "Phone: 467 3395", "call me on",
    # "+46 (0)8 928 571 38", "(37) 788-063-Office".
    LABEL_BEFORE = re.compile(
        r"\b(?:(?:phone|tel|telephone|mobile|cell|cellphone|fax|desk|office|home|work|whatsapp"
        r"|call|text|ring|dial|reach|answering)\b)(?:\s+(?:number|no\.?|me|us|her|him|them|at|on"
        r"|is|to))*\s*[:#.\-]?\s*$",
        re.IGNORECASE,
    )
    # Written the way phone numbers are written ("810-580-9197", "(555) 010-7788", "+1 234 567
    # 8900"), even in a range no carrier uses: what the leak scan treats as a phone, scrubbed.
    PHONE_SHAPED = re.compile(
        r"(?<![\w.])(?:\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)|\d{1,4})(?:[ .\-]?\d{2,4}){2,4}"
        r"|\(\d{3}\)\s?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4})(?!\w)"
    )
    SHAPED_DIGITS = 9
    LABEL_AFTER = re.compile(r"^\s*[-–(]?\s*(?i:office|home|mobile|cell|fax|work|desk)\b")
    LABELED_SCORE = 0.5
    MAX_DIGITS = 15

    def __init__(self, supported_language: str = "en", leniency: int = 1):
        self.leniency = leniency
        super().__init__(
            supported_entities=["PHONE_NUMBER"],
            supported_language=supported_language,
            context=self.CONTEXT,
            name="FastPhoneRecognizer",
        )

    def load(self) -> None:
        pass

    def gate_patterns(self) -> list[tuple[str, int]]:
        """Every number found lies in a candidate's window: no candidate, no number."""
        return [(self.CANDIDATE.pattern, self.CANDIDATE.flags)]

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for candidate in self.CANDIDATE.finditer(text):
            if sum(c.isdigit() for c in candidate.group()) < self.MIN_DIGITS:
                continue
            start = max(0, candidate.start() - self.WINDOW)
            window = text[start : candidate.end() + self.WINDOW]
            found = len(results)
            for region in self.REGIONS:
                for match in ShortCandidateMatcher(window, region, self.leniency):
                    results.append(self._result(start + match.start, start + match.end, region))
            if len(results) == found:
                shaped = self.PHONE_SHAPED.search(candidate.group())
                if shaped and sum(c.isdigit() for c in shaped.group()) >= self.SHAPED_DIGITS:
                    results.append(
                        self._result(
                            candidate.start() + shaped.start(),
                            candidate.start() + shaped.end(),
                            None,
                        )
                    )
                elif self._labeled(text, candidate):
                    results.append(self._result(candidate.start(), candidate.end(), None))
        return EntityRecognizer.remove_duplicates(results)

    def _labeled(self, text: str, candidate: re.Match) -> bool:
        digits = sum(c.isdigit() for c in candidate.group())
        return digits <= self.MAX_DIGITS and bool(
            self.LABEL_BEFORE.search(text[max(0, candidate.start() - 30) : candidate.start()])
            or self.LABEL_AFTER.match(text[candidate.end() : candidate.end() + 10])
        )

    def _result(self, start: int, end: int, region: str | None) -> RecognizerResult:
        score = self.SCORE if region else self.LABELED_SCORE
        return RecognizerResult(
            entity_type="PHONE_NUMBER",
            start=start,
            end=end,
            score=score,
            analysis_explanation=AnalysisExplanation(
                recognizer=self.name,
                original_score=score,
                textual_explanation=f"valid {region} phone number"
                if region
                else "number labeled as a phone number",
            ),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


# Hosts whose first path segment (or the one after a prefix) is a person's account.
PROFILE_HOSTS = (
    r"github\.com|gitlab\.com|twitter\.com|x\.com|instagram\.com|facebook\.com|fb\.com|"
    r"tiktok\.com|youtube\.com/(?:@|c/|user/|channel/)|linkedin\.com/in|reddit\.com/(?:u|user)|"
    r"medium\.com|t\.me|threads\.net|mastodon\.social|bsky\.app/profile|soundcloud\.com|"
    r"twitch\.tv|pinterest\.com|behance\.net|dribbble\.com|kaggle\.com|huggingface\.co|"
    r"stackoverflow\.com/users|vk\.com|substack\.com/@|patreon\.com|onlyfans\.com"
)


class PersonalUrlRecognizer(DeclaredPatternRecognizer):
    """URLs that lead to a person: profile pages, user folders, e-mail or name in the query.

    Presidio's URL recognizer takes any dotted word for a URL (`pd.read_csv`, `train.py`) and
    would erase every documentation link a researcher needs; a link names a person when its path
    does, and only then is it personal data.
    """

    ENTITY = "URL"
    PATTERNS = [
        Pattern(
            "profile URL",
            rf"(?:https?://)?(?:www\.|m\.|mobile\.)?(?:{PROFILE_HOSTS})/@?[\w.\-]+[^\s<>\"')\]]*",
            0.7,
        ),
        Pattern("personal site", r"(?:https?://)?[\w\-]+\.(?:github\.io|substack\.com)\S*", 0.6),
        Pattern(
            "user folder",
            r"(?:https?://)\S+?/(?:~[\w.\-]+|users?/[\w.\-]+|profiles?/[\w.\-]+|u/[\w.\-]+)"
            r"[^\s<>\"')\]]*",
            0.6,
        ),
        Pattern(
            "personal query",
            r"https?://\S+?[?&](?:email|e-mail|user|username|name|phone|uid)=[^\s<>\"')\]]+",
            0.6,
        ),
    ]
    CONTEXT = ["profile", "my", "account", "page", "follow"]
    REGEX_FLAGS = re.DOTALL | re.MULTILINE | re.IGNORECASE  # Presidio's default


class HandleRecognizer(DeclaredPatternRecognizer):
    """@handles of social accounts (not e-mail addresses, decorators or npm scopes)."""

    ENTITY = "USERNAME"
    PATTERNS = [
        Pattern("@handle", r"(?<![\w@./])@[A-Za-z_][A-Za-z0-9_.]{2,29}(?<!\.)(?![\w@/(])", 0.6)
    ]
    CONTEXT = ["follow", "twitter", "instagram", "tiktok", "handle", "dm", "me"]
