"""Attributes and stage 1: the profile extracted from a user's conversations, and the human judges'
labels of it. A share of attributes is problematic (by source kind), with a failure category.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from pipelines.sample import content as text
from pipelines.sample.conversations import ConversationFacts
from pipelines.sample.fakes import Span, join, pii, render
from pipelines.sample.output import Drop, iso, record_key, weighted
from pipelines.sample.persona import Persona, turn_slots
from pipelines.sample.plan import ANNOTATION_START, UserPlan

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


@dataclass
class AttributeFacts:
    attribute_id: str
    topic: str | None
    phrase: str
    phrase_spans: list[Span]
    problematic: bool
    category: str | None


def second_person(attribute: AttributeFacts) -> tuple[str, list[Span]]:
    """ "is learning French" -> "you're learning French", keeping planted spans in place."""
    verb, _, rest = attribute.phrase.partition(" ")
    addressed = text.SECOND_PERSON.get(verb, "you " + verb)
    shift = len(addressed) - len(verb)
    spans = [Span(s.start + shift, s.end + shift, s.planted) for s in attribute.phrase_spans]
    return f"{addressed} {rest}", spans


def write_attributes(
    drop: Drop,
    rng: random.Random,
    plan: UserPlan,
    persona: Persona,
    conversations: list[ConversationFacts],
) -> list[AttributeFacts]:
    """A user's extracted attributes, written, each sound or problematic (with its category)."""
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
        category = weighted(rng, FAILURE_CATEGORIES) if problematic else None
        source = flawed if problematic else sound
        source = source or flawed or sound
        matching = [p for p in source if p[2] == category] or source
        topic, phrase, _label = matching[0]
        source.remove((topic, phrase, _label))
        chosen.append((topic, phrase, _label, problematic, category))
    personal = (
        rng.choice(text.PERSONAL_ATTRIBUTES) if plan.kind == "real" and rng.random() < 0.4 else None
    )
    slots = turn_slots(rng, persona)
    facts = []
    extractor = (
        "gpt-4o-mini"
        if plan.kind == "real"
        else rng.choice(["gpt-4o-mini", "gpt-4o-mini-2024-07-18"])
    )
    for number, (topic, phrase, _label, problematic, category) in enumerate(chosen):
        attribute_id = f"attr_{plan.index:0{drop.width}d}_{number:02d}"
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
        drop.sink.write("attributes", record)
        key = {"attribute_id": attribute_id}
        drop.ledger.record("attributes", key, "attribute", attribute_spans)
        drop.ledger.record("attributes", key, "reason", reason_spans)
        facts.append(
            AttributeFacts(
                attribute_id, topic, *render(phrase_template, slots), problematic, category
            )
        )
    return facts


def write_stage1(
    drop: Drop,
    rng: random.Random,
    plan: UserPlan,
    persona: Persona,
    attributes: list[AttributeFacts],
    judges: list[tuple[str, str]],
) -> None:
    """Each judge's label of each attribute, and each judge's review of the whole profile."""
    start = ANNOTATION_START + timedelta(hours=rng.randrange(0, 24 * 20))
    slots = turn_slots(rng, persona)
    for attribute in attributes:
        for offset, (pid, _name) in enumerate(judges):
            labels = LABELS_IF_PROBLEMATIC if attribute.problematic else LABELS_IF_SOUND
            label = weighted(rng, labels)
            category = None
            if label == "rejected":
                category = attribute.category
                if category is None or rng.random() < 0.25:
                    category = weighted(rng, FAILURE_CATEGORIES)
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
                "timestamp": iso(start + timedelta(minutes=offset * 90 + rng.randrange(60))),
            }
            drop.sink.write("stage1_judgments", record)
            drop.ledger.record(
                "stage1_judgments", record_key("stage1_judgments", record), "note", spans
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
            "timestamp": iso(start + timedelta(hours=3)),
        }
        drop.sink.write("stage1_reviews", record)
        key = record_key("stage1_reviews", record)
        drop.ledger.record("stage1_reviews", key, "missing_attributes", missing_spans)
        drop.ledger.record("stage1_reviews", key, "overall_note", overall_spans)


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
