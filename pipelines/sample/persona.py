"""A user's persona: the personal values planted in their texts, and each conversation's decoys."""

from __future__ import annotations

import random
from dataclasses import dataclass

from pipelines.sample import content as text
from pipelines.sample.fakes import (
    INTERNATIONAL_PHONES,
    PRIVATE_IPS,
    Slot,
    aws_key,
    decoy,
    iban,
    luhn_card,
    openai_key,
    pii,
    public_ipv4,
    sha256_hex,
    us_phone,
    us_ssn,
)
from pipelines.sample.plan import UserPlan


@dataclass
class Persona:
    slots: dict[str, Slot]
    header: dict[str, str] | None
    country: str | None
    state: str | None
    hashed_ip: str | None
    user_id: str | None
    model: str
    topics: list[str]

    @property
    def user_key(self) -> str:
        return self.user_id or self.hashed_ip  # type: ignore[return-value]


def make_persona(seed: int, rng: random.Random, plan: UserPlan) -> Persona:
    """Who a user is: the personal values their texts draw on, their header, place and model."""
    first = rng.choice(text.FIRST_NAMES)
    last = rng.choice(text.LAST_NAMES)
    name = f"{first} {last}"
    country, state, city, postcode = rng.choice(text.PLACES)
    if plan.language != "English":
        country, state = text.FOREIGN_PLACES[plan.language]
    phone = (
        us_phone(rng)
        if country == "United States"
        else INTERNATIONAL_PHONES.get(country, INTERNATIONAL_PHONES["France"])(rng)
    )
    other_phone = (
        INTERNATIONAL_PHONES[rng.choice(sorted(INTERNATIONAL_PHONES))](rng)
        if rng.random() < 0.5
        else us_phone(rng)
    )
    number = rng.randrange(10, 9999)
    email_user = rng.choice(
        [f"{first}.{last}{rng.randrange(10, 99)}", f"{first[0]}{last}", f"{first}_{last}"]
    ).lower()
    handle = f"{first[0]}{last}{rng.randrange(1, 99)}".lower()
    friend_first = rng.choice([n for n in text.FIRST_NAMES if n != first])
    friend_last = rng.choice([n for n in text.LAST_NAMES if n != last])
    slots: dict[str, Slot] = {
        "name": pii(name, "PERSON"),
        "first": pii(first, "PERSON"),
        "email": pii(f"{email_user}@{rng.choice(text.EMAIL_DOMAINS)}", "EMAIL_ADDRESS"),
        "phone": pii(phone, "PHONE_NUMBER"),
        "phone_other": pii(other_phone, "PHONE_NUMBER"),
        "address": pii(
            f"{number} {rng.choice(text.STREETS)}, {city}, {postcode}", "STREET_ADDRESS"
        ),
        "ip": pii(public_ipv4(rng), "IP_ADDRESS"),
        "private_ip": decoy(rng.choice(PRIVATE_IPS), "PRIVATE_IP"),
        "github_url": pii(f"https://github.com/{handle}", "URL"),
        "twitter_url": pii(f"https://twitter.com/{handle}_writes", "URL"),
        "handle": pii(f"@{handle}", "USERNAME"),
        "card": pii(luhn_card(rng), "CREDIT_CARD"),
        "ssn": pii(us_ssn(rng), "US_SSN"),
        "iban": pii(iban(rng), "IBAN_CODE"),
        "api_key": pii(openai_key(rng), "SECRET"),
        "aws_key": pii(aws_key(rng), "SECRET"),
        "friend": pii(f"{friend_first} {friend_last}", "PERSON"),
        "friend_first": pii(friend_first, "PERSON"),
        "friend_last": pii(friend_last, "PERSON"),
        "kid": pii(rng.choice(["Leo", "Mila", "Theo", "Ava", "Sami", "Nora"]), "PERSON"),
        "manager": pii(f"{rng.choice(text.FIRST_NAMES)} {rng.choice(text.LAST_NAMES)}", "PERSON"),
        "employer": rng.choice(text.EMPLOYERS),
        "home_city": city,
        "country": f"the {country}" if country.startswith("United") else country,
        "dest": rng.choice(text.DESTINATIONS),
        "dish": rng.choice(text.DISHES),
        "role": rng.choice(text.ROLES),
        "company": rng.choice(text.COMPANIES),
        "condition": rng.choice(text.CONDITIONS),
        "plant": rng.choice(text.PLANTS),
        "sport": rng.choice(text.SPORTS),
        "genre": rng.choice(text.GENRES),
    }
    topics = rng.sample(text.ENGLISH_TOPICS, rng.randint(3, 5))
    if plan.kind == "synthetic":
        user_id = {
            "cupid": f"cupid:{plan.index}+{rng.choice(text.SYNTHETIC_OCCUPATIONS)}",
            "personalens": f"personalens:u{plan.index:04d}",
            "prefeval": f"prefeval:{plan.index}",
        }[plan.source]
        return Persona(slots, None, None, None, None, user_id, "gpt-4o-mini", topics)
    accept_language = text.FOREIGN_ACCEPT_LANGUAGE.get(plan.language, "en-US,en;q=0.9")
    agent = text.SCRIPTED_USER_AGENT if plan.fails == "scripted" else rng.choice(text.USER_AGENTS)
    return Persona(
        slots,
        {"user-agent": agent, "accept-language": accept_language},
        country,
        state,
        sha256_hex(f"{seed}:ip:{plan.index}"),
        None,
        rng.choice(["gpt-3.5-turbo", "gpt-3.5-turbo", "gpt-4"]),
        topics,
    )


def turn_slots(rng: random.Random, persona: Persona) -> dict[str, Slot]:
    """The persona's slots plus this conversation's decoys."""
    return {
        **persona.slots,
        "read_csv": decoy('pd.read_csv("train.csv")', "CODE"),
        "train_py": decoy("train.py", "FILE_NAME"),
        "version": decoy(rng.choice(text.VERSIONS), "VERSION"),
        "french": decoy("French", "LANGUAGE"),
        "days": decoy(rng.choice(text.DURATIONS), "DURATION"),
        "days_short": decoy(rng.choice(["45 minutes", "30 minutes", "20 minutes"]), "DURATION"),
        "days_long": decoy(rng.choice(["6 months", "three months", "a year"]), "DURATION"),
        "year": decoy(rng.choice(text.YEARS), "YEAR"),
        "einstein": decoy(rng.choice(text.FAMOUS), "FAMOUS_PERSON"),
        "product": rng.choice(text.SCRIPTED_PRODUCTS),
    }
