"""Stage 3: personalized responses beside generic ones, and their ratings. One latent quality per
item, which LLM judges see only faintly.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from pipelines.sample import content as text
from pipelines.sample.fakes import Span, join, pii, render
from pipelines.sample.output import Drop, iso
from pipelines.sample.persona import Persona
from pipelines.sample.plan import ANNOTATION_START, JUDGES_PER_ITEM, UserPlan
from pipelines.sample.stage1 import AttributeFacts, second_person

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


def write_stage3(
    drop: Drop,
    rng: random.Random,
    plan: UserPlan,
    persona: Persona,
    attributes: list[AttributeFacts],
    items: int,
) -> None:
    """`items` personalized responses to prompts (each beside the generic one), rated by three
    humans and every LLM judge."""
    generators = len(text.GENERATORS)
    prompts = rng.sample(
        range(len(text.PROMPTS)), min(len(text.PROMPTS), math.ceil(items / generators))
    )
    sound = [a for a in attributes if not a.problematic] or attributes
    judges_start = ANNOTATION_START + timedelta(days=45, hours=rng.randrange(0, 24 * 20))
    for number in range(items):
        prompt_index = prompts[number // generators]
        generator_model = text.GENERATORS[number % generators]
        item_id = f"item_{plan.index:0{drop.width}d}_{number:02d}"
        used = rng.sample(sound, min(len(sound), rng.randint(1, 2)))
        explicit = rng.random() < STAGE3_EXPLICIT_SHARE
        generic = text.PROMPTS[prompt_index][2]
        pieces: list[tuple[str, list[Span]]] = []
        if plan.kind == "real" and rng.random() < 0.3:
            pieces.append(render("Hi {first}! ", persona.slots))
        if explicit:
            before, _, after = rng.choice(text.PERSONALIZATION_HOOKS).partition("{attribute}")
            pieces += [(before, []), second_person(used[0]), (after + " ", [])]
        pieces.append((generic + " " + rng.choice(text.IMPLICIT_TAILORING), []))
        if plan.kind == "real" and rng.random() < 0.05:
            pieces.append(render(" I can also send a summary to {email}.", persona.slots))
        personalized, spans = join(pieces)
        drop.sink.write(
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
        drop.ledger.record("stage3_items", {"item_id": item_id}, "personalized_response", spans)
        _ratings(drop, rng, item_id, explicit, judges_start)


def _ratings(drop: Drop, rng: random.Random, item_id: str, explicit: bool, start: datetime) -> None:
    quality = rng.gauss(0, 1)
    # Most personalized responses are about as good as the generic one, a few much better.
    quality += STAGE3_QUALITY_SKEW * (quality * quality - 1)
    raters = sorted(rng.sample(drop.humans, JUDGES_PER_ITEM))
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
                "timestamp": iso(start + timedelta(minutes=offset * 300 + rng.randrange(200))),
            }
        )
        drop.ledger.record(
            "stage3_ratings", {"annotator_id": pid, "item_id": item_id}, "note", spans
        )
    for judge in drop.llms:
        mean, weight, noise = STAGE3_LLM[judge.removeprefix("llm:")]
        value = mean + weight * quality + noise * rng.gauss(0, 1)
        ratings.append({"annotator_id": judge, "item_id": item_id, "rating": _likert(value)})
    for record in ratings:
        drop.sink.write("stage3_ratings", record)


def _likert(value: float) -> int:
    return min(5, max(1, round(value)))


STAGE3_NOTES = [
    "Both responses are fine.",
    "Personalized one is creepy.",
    "{pid} here: the second response repeats itself.",
]
