"""A user's conversations: exchanges drawn from the topics, the persona's values planted in them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pipelines.sample import content as text
from pipelines.sample.fakes import Span, join, render
from pipelines.sample.output import Drop, compact, iso
from pipelines.sample.persona import Persona, turn_slots
from pipelines.sample.plan import FIRST_CONVERSATION, UserPlan


@dataclass
class ConversationFacts:
    """What later stages need of a written conversation: evidence for attributes."""

    conversation_id: str
    topic: str
    user_turns: list[int]


def _exchanges(rng: random.Random, plan: UserPlan, topic: str, pairs: int) -> list[tuple[str, str]]:
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


def _pairs_per_conversation(rng: random.Random, plan: UserPlan) -> list[int]:
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


def write_conversations(
    drop: Drop, rng: random.Random, plan: UserPlan, persona: Persona
) -> list[ConversationFacts]:
    """A user's conversations, written; what the attributes need of them is returned."""
    facts = []
    moment = FIRST_CONVERSATION + timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
    signoff_conversations = set(
        rng.sample(range(plan.n_conversations), min(3, plan.n_conversations))
    )
    for number, pairs in enumerate(_pairs_per_conversation(rng, plan)):
        conversation_id = f"c{plan.index:0{drop.width}d}_{number:03d}"
        topic = rng.choice(persona.topics)
        slots = turn_slots(rng, persona)
        turns: list[dict[str, Any]] = []
        spans_per_turn: list[list[Span]] = []
        turn_moment = moment
        exchanges = _exchanges(rng, plan, topic, pairs)
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
                        "timestamp": iso(turn_moment) if plan.kind == "real" else None,
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
            "timestamp": iso(moment),
            "model": persona.model,
            "language": plan.language,
            "toxic": False,
            "redacted": False,
            "turns": [compact(turn) for turn in turns],
        }
        drop.sink.write("conversations", record)
        for turn_index, spans in enumerate(spans_per_turn):
            drop.ledger.record(
                "turns",
                {"conversation_id": conversation_id, "turn_index": turn_index},
                "content",
                spans,
            )
        facts.append(ConversationFacts(conversation_id, topic, list(range(0, len(turns), 2))))
        moment += timedelta(hours=rng.randrange(3, 24 * 12))
    return facts
