"""Keyed hashes for identifier columns, and consistent numbered placeholders for free text.

Within one scope (a user's history, an annotator's notes, or the global prompts) the same person,
e-mail or phone always becomes the same placeholder: `<PERSON_1>`, `<EMAIL_1>` ... The numbering
lives in `private.pseudonyms`, keyed by HMAC(scope, entity type, normalized value) -> number, so it
holds across drops and re-runs, yet the table never holds an original value and no placeholder can
be turned back into one. Presidio's own hash operator salts randomly per entity (since 2.2.361):
useless for joins, hence HMAC with the pipeline's key.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

import duckdb
import phonenumbers
import pyarrow as pa
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

from pipelines.contract.tables import IDENTIFIER_PREFIXES, registered
from pipelines.privacy.findings import Finding
from pipelines.privacy.keyed_hash import keyed_hash

PSEUDONYMS_DDL = """
create table if not exists private.pseudonyms (
    scope_key VARCHAR NOT NULL,
    entity_type VARCHAR NOT NULL,
    value_key VARCHAR NOT NULL,
    number INTEGER NOT NULL
)"""

PLACEHOLDER_NAMES = {
    "PERSON": "PERSON",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "STREET_ADDRESS": "ADDRESS",
    "IP_ADDRESS": "IP",
    "IBAN_CODE": "IBAN",
}

# User agents of HTTP libraries and command-line clients: a conversation sent by a script.
PROGRAMMATIC_CLIENTS = re.compile(
    r"^(python-requests|python-urllib|python-httpx|httpx|aiohttp|curl|wget|go-http-client|okhttp"
    r"|node-fetch|axios|undici|postmanruntime|java|libwww-perl|ruby|php|insomnia|openai)",
    re.IGNORECASE,
)

DEFAULT_PHONE_REGION = "US"
_TITLES = re.compile(r"^(?:mr|mrs|ms|miss|dr|prof|sir|madam)\.?\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s$")


def _phone_key(value: str) -> str:
    """E.164 where the number parses (a US number without +1 is read as US), else its digits."""
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", value)


def hash_identifier(key: bytes, column: str, value: str) -> str:
    """`user_3fa4...`: the same person or record gets the same key in every table and drop."""
    prefix = IDENTIFIER_PREFIXES[column]
    return f"{prefix}_{keyed_hash(key, 'identifier', prefix, value)[:16]}"


# What hash_identifier returns: a keyed hash holds nothing of its value, though its 16 hex digits
# are now and then all decimal and pass for a card or phone number.
HASHED_IDENTIFIER = re.compile(
    rf"(?:{'|'.join(sorted(set(IDENTIFIER_PREFIXES.values())))})_[0-9a-f]{{16}}"
)


def client_kind(header: dict[str, str]) -> str | None:
    """ "programmatic" or "browser", from a request header's user agent; None without one."""
    agent = next((value for name, value in header.items() if name.lower() == "user-agent"), None)
    if not agent:
        return None
    return "programmatic" if PROGRAMMATIC_CLIENTS.match(agent) else "browser"


def scrubbed_header(header: str) -> str | None:
    """A request header (JSON) reduced to `{"client_kind": ...}`: the study's filter needs to know
    a scripted client, while the user agent and the languages fingerprint a person."""
    kind = client_kind(json.loads(header) or {})
    return json.dumps({"client_kind": kind}) if kind else None


def placeholder(entity_type: str, number: int) -> str:
    return f"<{PLACEHOLDER_NAMES.get(entity_type, entity_type)}_{number}>"


def normalize(entity_type: str, value: str) -> str:
    """The form under which two mentions count as the same value."""
    value = " ".join(value.split())
    if entity_type == "PERSON":
        return _TITLES.sub("", _POSSESSIVE.sub("", value)).casefold()
    if entity_type == "PHONE_NUMBER":
        return _phone_key(value)
    if entity_type in {"CREDIT_CARD", "US_SSN"}:
        return re.sub(r"\D", "", value)
    if entity_type == "IBAN_CODE":
        return value.replace(" ", "").upper()
    return value.casefold()


def short_key(hex_key: str) -> int:
    """A keyed hash's first 128 bits, as the key it is remembered by in memory: about a third of
    the memory of the 64 hex characters (the scrub numbers 1.3M values at 500k conversations)."""
    return int(hex_key[:32], 16)


class Pseudonymizer:
    """Numbers values per (scope, entity type); new numbers wait in `pending` until `save`.

    A value key is an HMAC of the scope key, the entity type and the value, so its short form alone
    names the number; the scope and type are kept only for the highest number of each.
    """

    # Rows of private.pseudonyms read per batch when a drop's scopes are loaded.
    LOAD_BATCH_ROWS = 100_000

    def __init__(self, key: bytes):
        self.key = key
        self.numbers: dict[int, int] = {}
        self.highest: dict[tuple[int, str], int] = defaultdict(int)
        self.pending: list[tuple[str, str, str, int]] = []
        self.loaded_scopes: set[str] = set()
        self.anonymizer = AnonymizerEngine()

    def scope_key(self, scope: str) -> str:
        return keyed_hash(self.key, "scope", scope)

    def load(self, conn: duckdb.DuckDBPyConnection, scopes: set[str]) -> None:
        """Read the numbering already given in these scopes (earlier drops, earlier runs).

        One query for all of them: a drop's scopes are loaded at once, not one scan each.
        """
        wanted = scopes - self.loaded_scopes
        if not wanted:
            return
        keys = sorted(map(self.scope_key, wanted))
        with registered(conn, "wanted_scopes", pa.table({"scope_key": keys})):
            reader = conn.execute(
                "select p.scope_key, entity_type, value_key, number from private.pseudonyms p "
                "semi join wanted_scopes w on p.scope_key = w.scope_key"
            ).to_arrow_reader(self.LOAD_BATCH_ROWS)
            for batch in reader:
                for scope_key, entity_type, value_key, number in zip(
                    *(column.to_pylist() for column in batch.columns), strict=True
                ):
                    self.numbers[short_key(value_key)] = number
                    counter = (short_key(scope_key), entity_type)
                    self.highest[counter] = max(self.highest[counter], number)
        self.loaded_scopes |= wanted

    def number(self, scope: str, entity_type: str, value: str) -> int:
        """The value's number in its scope; a first name alone reuses the full name's number."""
        scope_key = self.scope_key(scope)
        normalized = normalize(entity_type, value)
        value_key = keyed_hash(self.key, scope_key, entity_type, normalized)
        known = self.numbers.get(short_key(value_key))
        if known is not None:
            return known
        parts = normalized.split() if entity_type == "PERSON" else []
        part_keys = [keyed_hash(self.key, scope_key, entity_type, p) for p in parts if len(p) > 1]
        number = None
        for part_key in part_keys:
            number = self.numbers.get(short_key(part_key))
            if number is not None:
                break
        if number is None:
            counter = (short_key(scope_key), entity_type)
            self.highest[counter] += 1
            number = self.highest[counter]
        self._remember(scope_key, entity_type, value_key, number)
        if len(parts) > 1:
            for part_key in part_keys:
                if short_key(part_key) not in self.numbers:
                    self._remember(scope_key, entity_type, part_key, number)
        return number

    def _remember(self, scope_key: str, entity_type: str, value_key: str, number: int) -> None:
        self.numbers[short_key(value_key)] = number
        self.pending.append((scope_key, entity_type, value_key, number))

    def save(self, conn: duckdb.DuckDBPyConnection, table: str) -> int:
        """Append the new numbers to `table` and forget them here; returns how many.

        The scrub saves them batch by batch to a staging table, so that they do not pile up in
        memory through a drop (about 400 bytes each, 1.3M at 500k conversations), and moves them
        to `private.pseudonyms` when it swaps the drop in. Only numbers not loaded for their scope
        are pending, and one scrub at a time writes.
        """
        if self.pending:
            columns = ("scope_key", "entity_type", "value_key", "number")
            frame = pa.table(
                {c: [row[i] for row in self.pending] for i, c in enumerate(columns)},
                schema=pa.schema(
                    [
                        *(pa.field(c, pa.string()) for c in columns[:3]),
                        pa.field("number", pa.int32()),
                    ]
                ),
            )
            with registered(conn, "new_pseudonyms", frame):
                conn.execute(f"insert into {table} select * from new_pseudonyms")
        saved = len(self.pending)
        self.pending = []
        return saved

    def replace(self, text: str, scope: str, findings: list[Finding]) -> str:
        """The text with each finding replaced by its placeholder, through Presidio's anonymizer."""
        if not findings:
            return text
        operators = {
            entity_type: OperatorConfig(
                "custom",
                {
                    "lambda": lambda value, t=entity_type: placeholder(
                        t, self.number(scope, t, value)
                    )
                },
            )
            for entity_type in {f.entity_type for f in findings}
        }
        results = [RecognizerResult(f.entity_type, f.start, f.end, f.score) for f in findings]
        return self.anonymizer.anonymize(text, results, operators).text
