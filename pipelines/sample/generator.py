"""A seeded generator of raw drops shaped like the study, with planted personal data.

The output is a drop folder in the raw-data contract (`pipelines.contract`): one JSONL file per
export and a `manifest.json`. It is byte-identical for the same arguments, and it is streamed:
records are written user by user as they are made, so a drop of 500k conversations needs no more
memory than one of 550. Beside the drop it can write the ground truth a scrubber is scored on:
every planted personal value (and every decoy that is not personal data) with its table, key,
field and character offsets (Python string indexes).

The labels follow a latent model tuned so the study's headline figures come out of the sample:
stage 2 draws one relevance per item that every judge sees through its own noise (LLM judges also
share a bias humans lack), stage 3 one quality per item that LLM judges see only faintly.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import random
import shutil
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from pipelines.contract.tables import RAW_FILES, TABLES
from pipelines.sample import content as text
from pipelines.sample.fakes import (
    INTERNATIONAL_PHONES,
    PRIVATE_IPS,
    Slot,
    Span,
    aws_key,
    decoy,
    hex_id,
    iban,
    join,
    luhn_card,
    openai_key,
    pii,
    public_ipv4,
    render,
    sha256_hex,
    us_phone,
    us_ssn,
)

# The bundled sample's seed: at 360 stage-3 items the explicit-mention gap swings by about 0.13
# between seeds; this one lands near the paper's +0.03 (the other figures hold for any seed).
BUNDLED_SEED = 3

# The study's shape per 550 conversations; larger drops scale these.
STUDY_CONVERSATIONS = 550
STUDY_USERS = 80
SYNTHETIC_SHARE = 18 / 80
NON_ENGLISH_SHARE = 3 / 80
SCRIPTED_SHARE = 2 / 80
TOO_FEW_SHARE = 3 / 80
STAGE2_ITEMS_PER_STUDY_USER = 55
STAGE3_ITEMS_PER_STUDY_USER = 5
HUMAN_ANNOTATORS = 12
JUDGES_PER_ITEM = 3

# Exports every drop of a seed delivers whole: the annotators and the prompts.
SHARED_TABLES = ("annotators", "prompts")

CREATED_AT = datetime(2025, 6, 1, tzinfo=UTC)
FIRST_CONVERSATION = datetime(2023, 4, 9, tzinfo=UTC)
ANNOTATION_START = datetime(2025, 3, 3, 9, tzinfo=UTC)

# Stage 1: chance an attribute is problematic, and each judge's label given that.
PROBLEMATIC_SHARE = {"real": 0.45, "synthetic": 0.12}
LABELS_IF_SOUND = (("accepted", 0.82), ("uncertain", 0.12), ("rejected", 0.06))
LABELS_IF_PROBLEMATIC = (("accepted", 0.15), ("uncertain", 0.23), ("rejected", 0.62))
FAILURE_CATEGORIES = (
    ("overgeneralization", 0.54),
    ("task_context_confusion", 0.16),
    ("unsupported_inference", 0.10),
    ("hallucination", 0.07),
    ("sensitive_inference", 0.06),
    ("outdated", 0.04),
    ("other", 0.03),
)

# Stage 2: judge sees relevance + noise; LLM judges add a shared bias (STAGE2_LLM_SHARED).
STAGE2_TOPIC_MATCH_SHIFT = 0.9
STAGE2_HUMAN_NOISE = 0.7
STAGE2_HUMAN_THRESHOLD = 1.12
STAGE2_LLM_SHARED = 0.35
STAGE2_LLM_NOISE = 0.45
# Threshold per LLM judge: a lower one says YES more often.
STAGE2_LLM_THRESHOLDS = {
    "gpt-4o": 0.05,
    "claude-3-5-sonnet": 0.15,
    "llama-3.1-70b": -0.2,
    "qwen2.5-72b": -0.05,
    "gemini-1.5-pro": 0.25,
}

# Stage 3: rating = mean + weight * quality + noise, rounded into 1..5.
STAGE3_HUMAN_MEAN = 3.25
STAGE3_HUMAN_WEIGHT = 0.9
STAGE3_HUMAN_NOISE = 1.0
STAGE3_EXPLICIT_GAP = 0.03
STAGE3_QUALITY_SKEW = 0.3
STAGE3_EXPLICIT_SHARE = 0.35
# (mean, weight of the item's quality, noise) per LLM judge.
STAGE3_LLM = {
    "gpt-4o": (3.75, 0.35, 0.8),
    "claude-3-5-sonnet": (3.6, 0.38, 0.8),
    "llama-3.1-70b": (3.98, 0.2, 0.7),
    "qwen2.5-72b": (3.9, 0.3, 0.8),
    "gemini-1.5-pro": (3.5, 0.25, 0.9),
}


@dataclass(frozen=True)
class SampleConfig:
    """What to generate. Users and stage sizes follow the study's proportions unless given."""

    out: Path
    seed: int = BUNDLED_SEED
    conversations: int = STUDY_CONVERSATIONS
    users: int | None = None
    stage2_items: int | None = None
    stage3_items: int | None = None
    gzip: bool = False
    pii_manifest: Path | None = None
    first_user: int = 0
    """Index of the first user: a later drop of the same seed starting past the earlier drop's
    users adds new users (new conversation, attribute, item and user ids) judged by the same
    annotators on the same prompts."""
    shared_tables: bool = True
    """Write the tables every drop of a seed shares (annotators, prompts); a drop that adds users
    to an earlier drop of the same seed leaves them out, as that drop delivered them."""

    @property
    def n_users(self) -> int:
        if self.users is not None:
            return self.users
        return max(8, round(self.conversations * STUDY_USERS / STUDY_CONVERSATIONS))


@dataclass(frozen=True)
class UserPlan:
    """Who a user is before any text is drawn: kind, the study filter they fail, how much data."""

    index: int
    kind: str  # "real" or "synthetic"
    fails: str | None  # None, "language", "scripted", "few_conversations", "few_turns"
    n_conversations: int
    language: str = "English"
    source: str = "wildchat"

    @property
    def in_study(self) -> bool:
        return self.fails is None


@dataclass
class GenerationReport:
    records: dict[str, int] = field(default_factory=dict)
    entities: int = 0
    decoys: int = 0


def generate(config: SampleConfig) -> GenerationReport:
    """Write one drop folder (and the PII ground truth if asked); returns what was written."""
    return _Generator(config).run()


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    """Leave out unset optional fields, as exporters do; the models default them to None."""
    return {k: v for k, v in record.items() if v is not None}


def _quota(total: int, count: int, position: int) -> int:
    """Share of `total` for one of `count` slots, spread evenly so the shares sum to `total`."""
    return (total * (position + 1)) // count - (total * position) // count


def plan_users(config: SampleConfig) -> list[UserPlan]:
    """The users of a drop in order: a few planted to fail each rule of the study's filter."""
    rng = random.Random(f"{config.seed}:plan")
    n_users = config.n_users
    n_synthetic = round(n_users * SYNTHETIC_SHARE)
    special = (
        ["language"] * max(1, round(n_users * NON_ENGLISH_SHARE))
        + ["scripted"] * max(1, round(n_users * SCRIPTED_SHARE))
        + [
            ("few_conversations", "few_turns")[i % 2]
            for i in range(max(1, round(n_users * TOO_FEW_SHARE)))
        ]
    )
    kinds = ["synthetic"] * n_synthetic + special
    if len(kinds) >= n_users:
        raise ValueError(f"{n_users} users are too few for the study's mix of users")
    kinds += ["real"] * (n_users - len(kinds))
    rng.shuffle(kinds)

    fixed = {"language": 5, "scripted": 9, "few_conversations": 2, "few_turns": 4}
    spare = config.conversations - sum(fixed.get(k, 0) for k in kinds)
    regular = [i for i, k in enumerate(kinds) if k in ("real", "synthetic")]
    if spare < 3 * len(regular):
        raise ValueError(
            f"{config.conversations} conversations are too few for {n_users} users "
            "(each user in the study needs at least 3)"
        )
    weights = [rng.lognormvariate(0, 0.5) for _ in regular]
    extra = spare - 3 * len(regular)
    counts = {i: 3 for i in regular}
    shares = [extra * w / sum(weights) for w in weights]
    for i, share in zip(regular, shares, strict=True):
        counts[i] += int(share)
    leftover = spare - sum(counts.values())
    by_remainder = sorted(
        range(len(regular)), key=lambda j: (shares[j] - int(shares[j]), -j), reverse=True
    )
    for j in by_remainder[:leftover]:
        counts[regular[j]] += 1

    languages = sorted(text.FOREIGN)
    plans = []
    n_language = 0
    for index, kind in enumerate(kinds):
        if kind in ("real", "synthetic"):
            source = "wildchat" if kind == "real" else text.SYNTHETIC_SOURCES[index % 3]
            plans.append(
                UserPlan(config.first_user + index, kind, None, counts[index], source=source)
            )
        else:
            language = "English"
            if kind == "language":
                language = languages[n_language % len(languages)]
                n_language += 1
            plans.append(
                UserPlan(config.first_user + index, "real", kind, fixed[kind], language=language)
            )
    return plans


class _Sink:
    """The open export files of a drop; each record is written the moment it is made."""

    def __init__(self, stack: ExitStack, folder: Path, compress: bool, skip: tuple[str, ...] = ()):
        self.handles: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = {}
        for stem in RAW_FILES:
            if stem in skip:
                continue
            if compress:
                raw = stack.enter_context((folder / f"{stem}.jsonl.gz").open("wb"))
                # No name and no time in the gzip header, so the bytes repeat.
                binary = stack.enter_context(gzip.GzipFile("", "wb", 6, raw, mtime=0))
                handle = stack.enter_context(
                    io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
                )
            else:
                handle = stack.enter_context(
                    (folder / f"{stem}.jsonl").open("w", encoding="utf-8", newline="\n")
                )
            self.handles[stem] = handle
            self.counts[stem] = 0

    def write(self, stem: str, record: dict[str, Any]) -> None:
        if stem not in self.handles:
            return
        line = json.dumps(_compact(record), ensure_ascii=False, separators=(",", ":"))
        self.handles[stem].write(line + "\n")
        self.counts[stem] += 1


class _Ledger:
    """The ground truth of planted values, spooled to two part files and joined at the end."""

    def __init__(self, stack: ExitStack, path: Path | None):
        self.path = path
        self.entities = 0
        self.decoys = 0
        self.parts: dict[str, IO[str]] = {}
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            for part in ("entities", "decoys"):
                self.parts[part] = stack.enter_context(
                    path.with_name(f"{path.name}.{part}.part").open("w", encoding="utf-8")
                )

    def record(self, table: str, key: dict[str, Any], column: str, spans: list[Span]) -> None:
        if self.path is None:
            return
        for span in spans:
            planted = span.planted
            entry: dict[str, Any] = {"table": table, "key": key, "field": column}
            if planted.entity_type:
                entry["entity_type"] = planted.entity_type
                part = "entities"
                self.entities += 1
            else:
                entry["kind"] = planted.decoy
                part = "decoys"
                self.decoys += 1
            entry.update(value=planted.value, start=span.start, end=span.end)
            separator = ",\n" if (self.entities if part == "entities" else self.decoys) > 1 else ""
            self.parts[part].write(separator + json.dumps(entry, ensure_ascii=False))

    def finish(self) -> None:
        """Join the parts into `{"entities": [...], "decoys": [...]}`, one entry per line."""
        if self.path is None:
            return
        for handle in self.parts.values():
            handle.close()
        with self.path.open("w", encoding="utf-8") as out:
            for index, part in enumerate(("entities", "decoys")):
                part_path = self.path.with_name(f"{self.path.name}.{part}.part")
                out.write(("{" if index == 0 else ",\n") + f'"{part}": [\n')
                with part_path.open(encoding="utf-8") as handle:
                    shutil.copyfileobj(handle, out)
                out.write("\n]")
                part_path.unlink()
            out.write("}\n")


def _key(table: str, record: dict[str, Any]) -> dict[str, Any]:
    return {column: record[column] for column in TABLES[table].key}


@dataclass
class _Persona:
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


@dataclass
class _ConversationFacts:
    """What later stages need of a written conversation: evidence for attributes."""

    conversation_id: str
    topic: str
    user_turns: list[int]


@dataclass
class _AttributeFacts:
    attribute_id: str
    topic: str | None
    phrase: str
    phrase_spans: list[Span]
    problematic: bool
    category: str | None


class _Generator:
    def __init__(self, config: SampleConfig):
        self.config = config
        self.seed = config.seed
        self.plans = plan_users(config)
        self.study_users = [p.index for p in self.plans if p.in_study]
        self.width = max(3, len(str(config.first_user + len(self.plans) - 1)))
        rng = random.Random(f"{self.seed}:annotators")
        names = rng.sample(text.CROWD_FIRST_NAMES, HUMAN_ANNOTATORS)
        self.humans = sorted((hex_id(rng, 24), name) for name in names)  # (platform id, first name)
        self.llms = [f"llm:{model}" for model in text.LLM_JUDGES]
        self.n_stage2 = config.stage2_items
        if self.n_stage2 is None:
            self.n_stage2 = STAGE2_ITEMS_PER_STUDY_USER * len(self.study_users)
        self.n_stage3 = config.stage3_items
        self.stage2_written = 0
        if self.n_stage3 is None:
            self.n_stage3 = STAGE3_ITEMS_PER_STUDY_USER * len(self.study_users)

    def run(self) -> GenerationReport:
        folder = self.config.out
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.jsonl*"):
            stale.unlink()
        with ExitStack() as stack:
            skip = () if self.config.shared_tables else SHARED_TABLES
            self.sink = _Sink(stack, folder, self.config.gzip, skip)
            self.ledger = _Ledger(stack, self.config.pii_manifest)
            self._annotators()
            self._prompts()
            study_position = 0
            for plan in self.plans:
                self._user(plan, study_position)
                study_position += plan.in_study
        self.ledger.finish()
        manifest = {
            "drop_id": folder.name,
            "created_at": _iso(CREATED_AT),
            "description": (
                f"Generated sample (seed {self.seed}): {len(self.plans)} users, "
                f"{self.config.conversations} conversations, planted personal data."
            ),
            "producer": "pipelines.sample",
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return GenerationReport(dict(self.sink.counts), self.ledger.entities, self.ledger.decoys)

    # -- shared tables -------------------------------------------------------------------------

    def _annotators(self) -> None:
        rows = [
            {"annotator_id": pid, "kind": "human", "platform": "prolific", "display_name": name}
            for pid, name in self.humans
        ] + [
            {"annotator_id": judge, "kind": "llm", "model_name": judge.removeprefix("llm:")}
            for judge in self.llms
        ]
        for row in sorted(rows, key=lambda r: r["annotator_id"]):
            self.sink.write("annotators", row)

    def _prompts(self) -> None:
        rng = random.Random(f"{self.seed}:prompts")
        lima_numbers = sorted(rng.sample(range(1, 1031), len(text.PROMPTS)))
        for number, (prompt, _topic, _answer) in enumerate(text.PROMPTS, start=1):
            self.sink.write(
                "prompts",
                {
                    "prompt_id": f"prompt_{number:03d}",
                    "prompt_text": prompt,
                    "source": "lima",
                    "source_id": f"lima_{lima_numbers[number - 1]}",
                },
            )

    # -- one user ------------------------------------------------------------------------------

    def _user(self, plan: UserPlan, study_position: int) -> None:
        rng = random.Random(f"{self.seed}:user:{plan.index}")
        persona = self._persona(rng, plan)
        conversations = self._conversations(rng, plan, persona)
        if not plan.in_study:
            return
        attributes = self._attributes(rng, plan, persona, conversations)
        stage1_judges = sorted(rng.sample(self.humans, JUDGES_PER_ITEM))
        self._stage1(rng, plan, persona, attributes, stage1_judges)
        self._stage2(rng, persona, attributes, study_position)
        self._stage3(rng, plan, persona, attributes, study_position)

    def _persona(self, rng: random.Random, plan: UserPlan) -> _Persona:
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
            "manager": pii(
                f"{rng.choice(text.FIRST_NAMES)} {rng.choice(text.LAST_NAMES)}", "PERSON"
            ),
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
            return _Persona(slots, None, None, None, None, user_id, "gpt-4o-mini", topics)
        accept_language = text.FOREIGN_ACCEPT_LANGUAGE.get(plan.language, "en-US,en;q=0.9")
        agent = (
            text.SCRIPTED_USER_AGENT if plan.fails == "scripted" else rng.choice(text.USER_AGENTS)
        )
        return _Persona(
            slots,
            {"user-agent": agent, "accept-language": accept_language},
            country,
            state,
            sha256_hex(f"{self.seed}:ip:{plan.index}"),
            None,
            rng.choice(["gpt-3.5-turbo", "gpt-3.5-turbo", "gpt-4"]),
            topics,
        )

    def _turn_slots(self, rng: random.Random, persona: _Persona) -> dict[str, Slot]:
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

    def _exchanges(
        self, rng: random.Random, plan: UserPlan, topic: str, pairs: int
    ) -> list[tuple[str, str]]:
        if plan.fails == "scripted":
            return [(text.SCRIPTED_TEMPLATE, text.SCRIPTED_REPLY)] * pairs
        if plan.language != "English":
            material = text.FOREIGN[plan.language]
            return [material[i % len(material)] for i in rng.sample(range(len(material)), pairs)]
        spec = text.TOPICS[topic]
        chosen = [rng.choice(spec["open"])]
        follow = rng.sample(spec["more"], min(pairs - 1, len(spec["more"])))
        chosen += follow
        while len(chosen) < pairs:
            chosen.append(rng.choice(text.GENERIC_FOLLOWUPS))
        return chosen

    def _pairs_per_conversation(self, rng: random.Random, plan: UserPlan) -> list[int]:
        """Exchanges per conversation; a user in the study reaches 15 turns in total."""
        n = plan.n_conversations
        if plan.fails == "scripted":
            return [1] * n
        if plan.fails == "few_turns":
            return [1] * n
        if plan.fails == "few_conversations":
            return [5, 4][:n]
        if plan.fails == "language":
            return [rng.choice([2, 3]) for _ in range(n)]
        pairs = [rng.choices([1, 2, 3, 4, 5], weights=[30, 30, 20, 12, 8])[0] for _ in range(n)]
        while sum(pairs) * 2 < 16:
            pairs[pairs.index(min(pairs))] += 1
        return pairs

    def _conversations(
        self, rng: random.Random, plan: UserPlan, persona: _Persona
    ) -> list[_ConversationFacts]:
        facts = []
        moment = FIRST_CONVERSATION + timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
        signoff_conversations = set(
            rng.sample(range(plan.n_conversations), min(3, plan.n_conversations))
        )
        for number, pairs in enumerate(self._pairs_per_conversation(rng, plan)):
            conversation_id = f"c{plan.index:0{self.width}d}_{number:03d}"
            topic = rng.choice(persona.topics)
            slots = self._turn_slots(rng, persona)
            turns: list[dict[str, Any]] = []
            spans_per_turn: list[list[Span]] = []
            turn_moment = moment
            exchanges = self._exchanges(rng, plan, topic, pairs)
            for pair_index, (user_template, assistant_template) in enumerate(exchanges):
                user_text = render(user_template, slots)
                wants_signoff = (
                    plan.kind == "real"
                    and plan.language == "English"
                    and plan.fails is None
                    and pair_index == len(exchanges) - 1
                    and number in signoff_conversations
                )
                if wants_signoff:
                    user_text = join([user_text, render(rng.choice(text.SIGNOFFS), slots)])
                for role, (content, spans) in (
                    ("user", user_text),
                    ("assistant", render(assistant_template, slots)),
                ):
                    turns.append(
                        {
                            "role": role,
                            "content": content,
                            "language": plan.language,
                            "timestamp": _iso(turn_moment) if plan.kind == "real" else None,
                        }
                    )
                    spans_per_turn.append(spans)
                    turn_moment += timedelta(seconds=rng.randrange(20, 400))
            record = {
                "conversation_id": conversation_id,
                "source": plan.source,
                "source_kind": plan.kind,
                "user_id": persona.user_id,
                "hashed_ip": persona.hashed_ip,
                "header": persona.header,
                "country": persona.country,
                "state": persona.state,
                "timestamp": _iso(moment),
                "model": persona.model,
                "language": plan.language,
                "toxic": False,
                "redacted": False,
                "turns": [_compact(turn) for turn in turns],
            }
            self.sink.write("conversations", record)
            for turn_index, spans in enumerate(spans_per_turn):
                self.ledger.record(
                    "turns",
                    {"conversation_id": conversation_id, "turn_index": turn_index},
                    "content",
                    spans,
                )
            facts.append(_ConversationFacts(conversation_id, topic, list(range(0, len(turns), 2))))
            moment += timedelta(hours=rng.randrange(3, 24 * 12))
        return facts

    # -- attributes and stage 1 ----------------------------------------------------------------

    def _attributes(
        self,
        rng: random.Random,
        plan: UserPlan,
        persona: _Persona,
        conversations: list[_ConversationFacts],
    ) -> list[_AttributeFacts]:
        used_topics = sorted({c.topic for c in conversations})
        pool: list[tuple[str | None, str, str]] = [
            (topic, phrase, label)
            for topic in used_topics
            for phrase, label in text.TOPICS[topic]["attributes"]
        ] + [(None, phrase, label) for phrase, label in text.GENERAL_ATTRIBUTES]
        rng.shuffle(pool)
        n_attributes = min(len(pool), rng.randint(21, 30))
        sound = [p for p in pool if p[2] == "good"]
        flawed = [p for p in pool if p[2] != "good"]
        chosen: list[tuple[str | None, str, str, bool, str | None]] = []
        for _ in range(n_attributes):
            problematic = rng.random() < PROBLEMATIC_SHARE[plan.kind]
            category = _weighted(rng, FAILURE_CATEGORIES) if problematic else None
            source = flawed if problematic else sound
            source = source or flawed or sound
            matching = [p for p in source if p[2] == category] or source
            topic, phrase, _label = matching[0]
            source.remove((topic, phrase, _label))
            chosen.append((topic, phrase, _label, problematic, category))
        personal = (
            rng.choice(text.PERSONAL_ATTRIBUTES)
            if plan.kind == "real" and rng.random() < 0.4
            else None
        )
        slots = self._turn_slots(rng, persona)
        facts = []
        extractor = (
            "gpt-4o-mini"
            if plan.kind == "real"
            else rng.choice(["gpt-4o-mini", "gpt-4o-mini-2024-07-18"])
        )
        for number, (topic, phrase, _label, problematic, category) in enumerate(chosen):
            attribute_id = f"attr_{plan.index:0{self.width}d}_{number:02d}"
            reason_template = rng.choice(text.REASONS)
            if plan.kind == "real" and rng.random() < 0.08:
                reason_template = rng.choice(text.REASONS_WITH_PII)
            phrase_template = phrase
            if personal is not None and number == 0:
                phrase_template, _quality, reason_template = personal
            on_topic = [c for c in conversations if c.topic == topic] or conversations
            evidence_conversations = rng.sample(on_topic, min(len(on_topic), rng.randint(1, 2)))
            evidence = [
                {
                    "conversation_id": c.conversation_id,
                    "turn_indexes": sorted(
                        rng.sample(c.user_turns, min(len(c.user_turns), rng.randint(1, 2)))
                    ),
                }
                for c in evidence_conversations
            ]
            first = evidence[0]
            reason_slots = {
                **slots,
                "conversation_id": first["conversation_id"],
                "turn": str(first["turn_indexes"][0]),
            }
            attribute_text, attribute_spans = join(
                [("The user ", []), render(phrase_template, slots), (".", [])]
            )
            reason, reason_spans = render(reason_template, reason_slots)
            merged_from = None
            if rng.random() < 0.15:
                plain = render(phrase_template, slots)[0]
                merged_from = [f"User {plain}", f"The user probably {plain}"]
                if attribute_spans:
                    merged_from = None
            record = {
                "attribute_id": attribute_id,
                "user_id": persona.user_key,
                "attribute": attribute_text,
                "extractor_model": extractor,
                "reason": reason,
                "confidence": round(rng.uniform(0.35, 0.99), 2),
                "evidence": evidence,
                "merged_from": merged_from,
            }
            self.sink.write("attributes", record)
            key = {"attribute_id": attribute_id}
            self.ledger.record("attributes", key, "attribute", attribute_spans)
            self.ledger.record("attributes", key, "reason", reason_spans)
            facts.append(
                _AttributeFacts(
                    attribute_id, topic, *render(phrase_template, slots), problematic, category
                )
            )
        return facts

    def _stage1(
        self,
        rng: random.Random,
        plan: UserPlan,
        persona: _Persona,
        attributes: list[_AttributeFacts],
        judges: list[tuple[str, str]],
    ) -> None:
        start = ANNOTATION_START + timedelta(hours=rng.randrange(0, 24 * 20))
        slots = self._turn_slots(rng, persona)
        for attribute in attributes:
            for offset, (pid, _name) in enumerate(judges):
                labels = LABELS_IF_PROBLEMATIC if attribute.problematic else LABELS_IF_SOUND
                label = _weighted(rng, labels)
                category = None
                if label == "rejected":
                    category = attribute.category
                    if category is None or rng.random() < 0.25:
                        category = _weighted(rng, FAILURE_CATEGORIES)
                note, spans = None, []
                if rng.random() < 0.08:
                    note, spans = render(
                        rng.choice(STAGE1_NOTES), {**slots, "pid": pii(pid, "PLATFORM_ID")}
                    )
                record = {
                    "annotator_id": pid,
                    "attribute_id": attribute.attribute_id,
                    "label": label,
                    "failure_category": category,
                    "note": note,
                    "flagged": rng.random() < 0.02,
                    "timestamp": _iso(start + timedelta(minutes=offset * 90 + rng.randrange(60))),
                }
                self.sink.write("stage1_judgments", record)
                self.ledger.record(
                    "stage1_judgments", _key("stage1_judgments", record), "note", spans
                )
        for pid, _name in judges:
            review_slots = {**slots, "pid": pii(pid, "PLATFORM_ID")}
            missing, missing_spans = (None, [])
            if rng.random() < 0.5:
                missing, missing_spans = render(rng.choice(MISSING_NOTES), review_slots)
            overall, overall_spans = (None, [])
            if rng.random() < 0.6:
                overall, overall_spans = render(rng.choice(OVERALL_NOTES), review_slots)
            record = {
                "annotator_id": pid,
                "user_id": persona.user_key,
                "missing_attributes": missing,
                "overall_note": overall,
                "flagged": rng.random() < 0.03,
                "timestamp": _iso(start + timedelta(hours=3)),
            }
            self.sink.write("stage1_reviews", record)
            key = _key("stage1_reviews", record)
            self.ledger.record("stage1_reviews", key, "missing_attributes", missing_spans)
            self.ledger.record("stage1_reviews", key, "overall_note", overall_spans)

    # -- stage 2 -------------------------------------------------------------------------------

    def _stage2(
        self,
        rng: random.Random,
        persona: _Persona,
        attributes: list[_AttributeFacts],
        study_position: int,
    ) -> None:
        # Whole prompts per user (every attribute of the profile is judged against a prompt),
        # as many as keep the running total of items on target.
        target = self.n_stage2 * (study_position + 1) // len(self.study_users)
        wanted = (target - self.stage2_written) / max(1, len(attributes))
        n_prompts = min(len(text.PROMPTS), max(1, round(wanted)))
        self.stage2_written += n_prompts * len(attributes)
        prompts = sorted(rng.sample(range(len(text.PROMPTS)), n_prompts))
        judges = sorted(rng.sample(self.humans, JUDGES_PER_ITEM))
        offsets = {pid: rng.gauss(0, 0.1) for pid, _ in judges}
        start = ANNOTATION_START + timedelta(days=21, hours=rng.randrange(0, 24 * 20))
        for prompt_index in prompts:
            prompt_id = f"prompt_{prompt_index + 1:03d}"
            prompt_topic = text.PROMPTS[prompt_index][1]
            for attribute in attributes:
                match = attribute.topic == prompt_topic
                relevance = rng.gauss(0, 1) + (STAGE2_TOPIC_MATCH_SHIFT if match else 0.0)
                shared = rng.gauss(0, 1)
                base = {
                    "user_id": persona.user_key,
                    "attribute_id": attribute.attribute_id,
                    "prompt_id": prompt_id,
                }
                llm_answers = {}
                llm_records = []
                for judge in self.llms:
                    model = judge.removeprefix("llm:")
                    score = (
                        relevance
                        + STAGE2_LLM_SHARED * shared
                        + STAGE2_LLM_NOISE * rng.gauss(0, 1)
                        - STAGE2_LLM_THRESHOLDS[model]
                    )
                    llm_answers[model] = score > 0
                    llm_records.append(
                        {
                            "annotator_id": judge,
                            **base,
                            "relevant": score > 0,
                            "relevance_score": round(1 / (1 + math.exp(-2 * score)), 3),
                            "raw_answer": "YES" if score > 0 else "NO",
                            "flagged": False,
                        }
                    )
                votes = 0
                for offset, (pid, _name) in enumerate(judges):
                    margin = (
                        relevance
                        + STAGE2_HUMAN_NOISE * rng.gauss(0, 1)
                        - STAGE2_HUMAN_THRESHOLD
                        - offsets[pid]
                    )
                    relevant = margin > 0
                    votes += relevant
                    note = None
                    if rng.random() < 0.01:
                        note = rng.choice(STAGE2_NOTES)
                    self.sink.write(
                        "stage2_judgments",
                        {
                            "annotator_id": pid,
                            **base,
                            "relevant": relevant,
                            "rating": _graded_rating(rng, margin, attribute),
                            "model_suggested_relevant": llm_answers["gpt-4o"],
                            "note": note,
                            "flagged": note is not None and rng.random() < 0.5,
                            "timestamp": _iso(
                                start + timedelta(minutes=offset * 240 + rng.randrange(120))
                            ),
                        },
                    )
                for record in llm_records:
                    self.sink.write("stage2_judgments", record)
                if votes >= 2:
                    self._expected_behavior(base, attribute)

    def _expected_behavior(self, base: dict[str, str], attribute: _AttributeFacts) -> None:
        explicit, explicit_spans = join(
            [("Acknowledge that ", []), _second_person(attribute), (" and tailor the advice.", [])]
        )
        implicit, implicit_spans = join(
            [
                ("Choose examples and steps that suit someone who ", []),
                (attribute.phrase, attribute.phrase_spans),
                (", without saying so.", []),
            ]
        )
        record = {
            **base,
            "generator_model": text.GENERATORS[0],
            "explicit_behavior": explicit,
            "implicit_behavior": implicit,
        }
        self.sink.write("expected_behaviors", record)
        key = _key("expected_behaviors", record)
        self.ledger.record("expected_behaviors", key, "explicit_behavior", explicit_spans)
        self.ledger.record("expected_behaviors", key, "implicit_behavior", implicit_spans)

    # -- stage 3 -------------------------------------------------------------------------------

    def _stage3(
        self,
        rng: random.Random,
        plan: UserPlan,
        persona: _Persona,
        attributes: list[_AttributeFacts],
        study_position: int,
    ) -> None:
        items = _quota(self.n_stage3, len(self.study_users), study_position)
        generators = len(text.GENERATORS)
        prompts = rng.sample(
            range(len(text.PROMPTS)), min(len(text.PROMPTS), math.ceil(items / generators))
        )
        sound = [a for a in attributes if not a.problematic] or attributes
        judges_start = ANNOTATION_START + timedelta(days=45, hours=rng.randrange(0, 24 * 20))
        for number in range(items):
            prompt_index = prompts[number // generators]
            generator_model = text.GENERATORS[number % generators]
            item_id = f"item_{plan.index:0{self.width}d}_{number:02d}"
            used = rng.sample(sound, min(len(sound), rng.randint(1, 2)))
            explicit = rng.random() < STAGE3_EXPLICIT_SHARE
            generic = text.PROMPTS[prompt_index][2]
            pieces: list[tuple[str, list[Span]]] = []
            if plan.kind == "real" and rng.random() < 0.3:
                pieces.append(render("Hi {first}! ", persona.slots))
            if explicit:
                before, _, after = rng.choice(text.PERSONALIZATION_HOOKS).partition("{attribute}")
                pieces += [(before, []), _second_person(used[0]), (after + " ", [])]
            pieces.append((generic + " " + rng.choice(text.IMPLICIT_TAILORING), []))
            if plan.kind == "real" and rng.random() < 0.05:
                pieces.append(render(" I can also send a summary to {email}.", persona.slots))
            personalized, spans = join(pieces)
            self.sink.write(
                "stage3_items",
                {
                    "item_id": item_id,
                    "user_id": persona.user_key,
                    "prompt_id": f"prompt_{prompt_index + 1:03d}",
                    "generator_model": generator_model,
                    "generic_response": generic,
                    "personalized_response": personalized,
                    "presentation_order": rng.choice(["generic_first", "personalized_first"]),
                    "mentions_attribute_explicitly": explicit,
                    "attribute_ids": [a.attribute_id for a in used],
                },
            )
            self.ledger.record("stage3_items", {"item_id": item_id}, "personalized_response", spans)
            self._stage3_ratings(rng, item_id, explicit, judges_start)

    def _stage3_ratings(
        self, rng: random.Random, item_id: str, explicit: bool, start: datetime
    ) -> None:
        quality = rng.gauss(0, 1)
        # Most personalized responses are about as good as the generic one, a few much better.
        quality += STAGE3_QUALITY_SKEW * (quality * quality - 1)
        raters = sorted(rng.sample(self.humans, JUDGES_PER_ITEM))
        ratings: list[dict[str, Any]] = []
        for offset, (pid, _name) in enumerate(raters):
            value = (
                STAGE3_HUMAN_MEAN
                + (STAGE3_EXPLICIT_GAP if explicit else 0.0)
                + STAGE3_HUMAN_WEIGHT * quality
                + STAGE3_HUMAN_NOISE * rng.gauss(0, 1)
            )
            note, spans = None, []
            if rng.random() < 0.03:
                note, spans = render(rng.choice(STAGE3_NOTES), {"pid": pii(pid, "PLATFORM_ID")})
            ratings.append(
                {
                    "annotator_id": pid,
                    "item_id": item_id,
                    "rating": _likert(value),
                    "note": note,
                    "timestamp": _iso(start + timedelta(minutes=offset * 300 + rng.randrange(200))),
                }
            )
            self.ledger.record(
                "stage3_ratings", {"annotator_id": pid, "item_id": item_id}, "note", spans
            )
        for judge in self.llms:
            mean, weight, noise = STAGE3_LLM[judge.removeprefix("llm:")]
            value = mean + weight * quality + noise * rng.gauss(0, 1)
            ratings.append({"annotator_id": judge, "item_id": item_id, "rating": _likert(value)})
        for record in ratings:
            self.sink.write("stage3_ratings", record)


def _likert(value: float) -> int:
    return min(5, max(1, round(value)))


def _graded_rating(rng: random.Random, margin: float, attribute: _AttributeFacts) -> str:
    """The annotation tool's graded scale, consistent with the yes/no `relevant`."""
    if margin > 0:
        if margin > 0.8:
            return "necessary_explicit"
        return "necessary_implicit" if margin > 0.3 or rng.random() < 0.3 else "optional"
    if attribute.category == "sensitive_inference" and rng.random() < 0.5:
        return "forbidden"
    return "unnecessary" if rng.random() < 0.65 else "none"


def _second_person(attribute: _AttributeFacts) -> tuple[str, list[Span]]:
    """ "is learning French" -> "you're learning French", keeping planted spans in place."""
    verb, _, rest = attribute.phrase.partition(" ")
    addressed = text.SECOND_PERSON.get(verb, "you " + verb)
    shift = len(addressed) - len(verb)
    spans = [Span(s.start + shift, s.end + shift, s.planted) for s in attribute.phrase_spans]
    return f"{addressed} {rest}", spans


STAGE1_NOTES = [
    "The user signs as {name}; a name is not an attribute.",
    "Evidence is just the e-mail {email}, nothing about this.",
    "PID {pid}: unsure, the evidence turn is about someone else.",
    "Only one conversation supports this.",
    "Reads like the task, not the person.",
    "Mentions {friend}, not the user.",
]
MISSING_NOTES = [
    "Has a child named {kid}.",
    "Missing: the user's job at {employer}.",
    "Missing that the user has a partner ({friend}).",
    "Nothing important missing.",
    "The user's city ({home_city}) is missing.",
]
OVERALL_NOTES = [
    "Done. My Prolific ID is {pid}.",
    "Profile mostly fine, several overgeneralizations.",
    "Many attributes come from one-off tasks.",
    "ID {pid} - took longer than expected, lots of conversations.",
    "Good profile overall.",
]
STAGE2_NOTES = [
    "Hard to tell without more context.",
    "The prompt is generic; barely relevant.",
    "Relevant only implicitly.",
]
STAGE3_NOTES = [
    "Both responses are fine.",
    "Personalized one is creepy.",
    "{pid} here: the second response repeats itself.",
]
