"""Stage 2: is an attribute relevant to a prompt? One latent relevance per item, which every judge
sees through its own noise; the LLM judges also share a bias humans lack.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

from pipelines.sample import content as text
from pipelines.sample.fakes import join
from pipelines.sample.output import Drop, iso, record_key
from pipelines.sample.persona import Persona
from pipelines.sample.plan import ANNOTATION_START, JUDGES_PER_ITEM
from pipelines.sample.stage1 import AttributeFacts, second_person

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


def write_stage2(
    drop: Drop,
    rng: random.Random,
    persona: Persona,
    attributes: list[AttributeFacts],
    n_prompts: int,
) -> None:
    """Every attribute of the profile judged against `n_prompts` prompts by three humans and
    every LLM judge, and the expected behaviours of the items most humans find relevant."""
    prompts = sorted(rng.sample(range(len(text.PROMPTS)), n_prompts))
    judges = sorted(rng.sample(drop.humans, JUDGES_PER_ITEM))
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
            for judge in drop.llms:
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
                drop.sink.write(
                    "stage2_judgments",
                    {
                        "annotator_id": pid,
                        **base,
                        "relevant": relevant,
                        "rating": _graded_rating(rng, margin, attribute),
                        "model_suggested_relevant": llm_answers["gpt-4o"],
                        "note": note,
                        "flagged": note is not None and rng.random() < 0.5,
                        "timestamp": iso(
                            start + timedelta(minutes=offset * 240 + rng.randrange(120))
                        ),
                    },
                )
            for record in llm_records:
                drop.sink.write("stage2_judgments", record)
            if votes >= 2:
                _expected_behavior(drop, base, attribute)


def _expected_behavior(drop: Drop, base: dict[str, str], attribute: AttributeFacts) -> None:
    explicit, explicit_spans = join(
        [("Acknowledge that ", []), second_person(attribute), (" and tailor the advice.", [])]
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
    drop.sink.write("expected_behaviors", record)
    key = record_key("expected_behaviors", record)
    drop.ledger.record("expected_behaviors", key, "explicit_behavior", explicit_spans)
    drop.ledger.record("expected_behaviors", key, "implicit_behavior", implicit_spans)


def _graded_rating(rng: random.Random, margin: float, attribute: AttributeFacts) -> str:
    """The annotation tool's graded scale, consistent with the yes/no `relevant`."""
    if margin > 0:
        if margin > 0.8:
            return "necessary_explicit"
        return "necessary_implicit" if margin > 0.3 or rng.random() < 0.3 else "optional"
    if attribute.category == "sensitive_inference" and rng.random() < 0.5:
        return "forbidden"
    return "unnecessary" if rng.random() < 0.65 else "none"


STAGE2_NOTES = [
    "Hard to tell without more context.",
    "The prompt is generic; barely relevant.",
    "Relevant only implicitly.",
]
