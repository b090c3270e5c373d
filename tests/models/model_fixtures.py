"""Hand-made records in the raw-data contract that hit the metrics' edge cases.

Users: four pass the study's filter (three real, one synthetic); four fail one rule each (not
English, scripted client, too few conversations, too few turns); one has attributes and stage-2
judgments but no conversation in the drop (the study selected them upstream: they stay). Stage 1
has three-way and two-way label ties and a tie between failure categories; stage 2 has items with
an even split of human votes, a human who shares too few items with others, and two LLM judges that
never say relevant (a judge with no positives; two constant raters, whose kappa is undefined);
stage 3 has an item no human rated, an LLM judge that always gives the same rating, and a judge who
rated only items with an explicit mention. Labels elsewhere come from a seeded generator, so
figures are not round numbers.
"""

from __future__ import annotations

import random
from typing import Any

HUMANS = ["ann_h1", "ann_h2", "ann_h3", "ann_h4"]
LLMS = ["llm:alpha", "llm:beta", "llm:never", "llm:nope"]
CONSTANT_LLMS = {"llm:never", "llm:nope"}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0"

# user_id -> (source_kind, language, user agent, turns per conversation)
USERS: dict[str, tuple[str, str, str | None, list[int]]] = {
    "user_r1": ("real", "English", BROWSER, [6, 5, 4]),
    "user_r2": ("real", "English", BROWSER, [4, 4, 4, 4, 2]),
    "user_r3": ("real", "English", BROWSER, [8, 6, 2]),
    "user_s1": ("synthetic", "English", None, [5, 5, 5]),
    "user_fr": ("real", "French", BROWSER, [6, 6, 6]),
    "user_bot": ("real", "English", "python-requests/2.31", [6, 6, 6]),
    "user_few": ("real", "English", BROWSER, [10, 10]),
    "user_short": ("real", "English", BROWSER, [2, 2, 2, 2]),
}
STUDY_USERS = ["user_r1", "user_r2", "user_r3", "user_s1"]
NO_HISTORY_USERS = ["user_n1"]
PUBLISHED_USERS = STUDY_USERS + NO_HISTORY_USERS
PROMPTS = [f"prompt_{i}" for i in range(4)]
ATTRIBUTES_PER_USER = 2


def _conversations() -> list[dict[str, Any]]:
    records = []
    for user, (kind, language, agent, turns) in USERS.items():
        for number, n_turns in enumerate(turns):
            records.append(
                {
                    "conversation_id": f"{user}_c{number}",
                    "source": "wildchat" if kind == "real" else "prefeval",
                    "source_kind": kind,
                    "user_id": user,
                    "header": {"user-agent": agent} if agent else None,
                    "timestamp": f"2023-05-0{1 + number}T10:00:00Z",
                    "model": "gpt-4",
                    "language": language,
                    "turns": [
                        {
                            "role": "user" if i % 2 == 0 else "assistant",
                            "content": f"{user} message {i} of conversation {number}",
                        }
                        for i in range(n_turns)
                    ],
                }
            )
    return records


def _attribute_id(user: str, number: int) -> str:
    return f"attr_{user}_{number}"


def _attributes() -> list[dict[str, Any]]:
    return [
        {
            "attribute_id": _attribute_id(user, number),
            "user_id": user,
            "attribute": f"The user has trait {number}.",
            "extractor_model": "gpt-4o-mini",
            "evidence": [{"conversation_id": f"{user}_c0", "turn_indexes": [0]}],
        }
        for user in PUBLISHED_USERS
        for number in range(ATTRIBUTES_PER_USER)
    ]


# attribute -> [(annotator, label, failure category)]; the first five are the edge cases.
_STAGE1_FIXED = {
    _attribute_id("user_r1", 0): [  # three-way tie
        ("ann_h1", "accepted", None),
        ("ann_h2", "uncertain", None),
        ("ann_h3", "rejected", "overgeneralization"),
    ],
    _attribute_id("user_r1", 1): [  # two-way tie
        ("ann_h1", "rejected", "hallucination"),
        ("ann_h2", "accepted", None),
    ],
    _attribute_id("user_r2", 0): [  # rejected, categories tie
        ("ann_h1", "rejected", "overgeneralization"),
        ("ann_h2", "rejected", "outdated"),
        ("ann_h3", "accepted", None),
    ],
    _attribute_id("user_r2", 1): [  # rejected, one category wins
        ("ann_h1", "rejected", "overgeneralization"),
        ("ann_h2", "rejected", "overgeneralization"),
        ("ann_h3", "rejected", "task_context_confusion"),
        ("llm:alpha", "accepted", None),  # an LLM's stage-1 label is not a human vote
    ],
}


def _stage1(rng: random.Random) -> list[dict[str, Any]]:
    records = []
    for attribute in _attributes():
        votes = _STAGE1_FIXED.get(attribute["attribute_id"])
        if votes is None:
            votes = []
            for annotator in HUMANS[:3]:
                label = rng.choice(["accepted", "accepted", "uncertain", "rejected"])
                category = (
                    rng.choice(["overgeneralization", "other"]) if label == "rejected" else None
                )
                votes.append((annotator, label, category))
        for annotator, label, category in votes:
            records.append(
                {
                    "annotator_id": annotator,
                    "attribute_id": attribute["attribute_id"],
                    "label": label,
                    "failure_category": category,
                }
            )
    return records


def stage2_items() -> list[tuple[str, str, str]]:
    return [
        (user, _attribute_id(user, number), prompt)
        for user in PUBLISHED_USERS
        for number in range(ATTRIBUTES_PER_USER)
        for prompt in PROMPTS
    ]


def _stage2(rng: random.Random) -> list[dict[str, Any]]:
    records = []
    for index, (user, attribute, prompt) in enumerate(stage2_items()):
        truth = rng.random() < 0.35
        humans = HUMANS[:3]
        if index % 8 == 3:
            humans = HUMANS[:2]  # two votes: may split evenly
        if index in (5, 13, 21):
            humans = HUMANS  # four votes, sometimes 2-2
        if index == 5:
            humans = HUMANS[:1] + HUMANS[3:]
        votes = {h: truth != (rng.random() < 0.2) for h in humans}
        if index == 3:
            votes = {"ann_h1": True, "ann_h2": False}  # a guaranteed tie
        if "ann_h4" in votes:
            votes["ann_h4"] = False  # a constant human with few shared items
        votes["llm:alpha"] = truth != (rng.random() < 0.3)
        votes["llm:beta"] = truth or rng.random() < 0.4
        votes["llm:never"] = False
        if index % 5 != 0:  # a judge that skipped some items
            votes["llm:nope"] = False
        for annotator, relevant in votes.items():
            records.append(
                {
                    "annotator_id": annotator,
                    "user_id": user,
                    "attribute_id": attribute,
                    "prompt_id": prompt,
                    "relevant": relevant,
                    "rating": ("necessary_implicit" if relevant else "unnecessary")
                    if annotator.startswith("ann_")
                    else None,
                }
            )
    return records


def _stage3(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    items, ratings = [], []
    generators = ["gen-a", "gen-b"]
    for user in STUDY_USERS:
        for number in range(6):
            item_id = f"item_{user}_{number}"
            explicit = number % 3 == 0
            items.append(
                {
                    "item_id": item_id,
                    "user_id": user,
                    "prompt_id": PROMPTS[number % len(PROMPTS)],
                    "generator_model": generators[number % 2],
                    "generic_response": "A generic answer.",
                    "personalized_response": "An answer for you.",
                    "presentation_order": rng.choice(["generic_first", "personalized_first"]),
                    "mentions_attribute_explicitly": explicit,
                    "attribute_ids": [_attribute_id(user, number % ATTRIBUTES_PER_USER)],
                }
            )
            quality = rng.gauss(0, 1)
            raters = (
                [] if (user, number) == ("user_r1", 5) else rng.sample(HUMANS[:3], 2 + number % 2)
            )
            if explicit:
                raters.append("ann_h4")  # h4 rates only explicit items: no gap for h4
            for human in raters:
                value = round(3.2 + 0.8 * quality + rng.gauss(0, 0.9))
                ratings.append(
                    {"annotator_id": human, "item_id": item_id, "rating": min(5, max(1, value))}
                )
            ratings.append(
                {
                    "annotator_id": "llm:alpha",
                    "item_id": item_id,
                    "rating": min(5, max(1, round(3.8 + 0.5 * quality + rng.gauss(0, 0.7)))),
                }
            )
            ratings.append({"annotator_id": "llm:never", "item_id": item_id, "rating": 4})
    return items, ratings


def records(seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """Every export of the fixture drop, as contract records."""
    rng = random.Random(seed)
    items, ratings = _stage3(rng)
    return {
        "conversations": _conversations(),
        "attributes": _attributes(),
        "prompts": [
            {"prompt_id": p, "prompt_text": f"Prompt {p}", "source": "lima"} for p in PROMPTS
        ],
        "annotators": [{"annotator_id": h, "kind": "human", "platform": "prolific"} for h in HUMANS]
        + [{"annotator_id": j, "kind": "llm", "model_name": j.removeprefix("llm:")} for j in LLMS],
        "stage1_judgments": _stage1(rng),
        "stage2_judgments": _stage2(rng),
        "stage3_items": items,
        "stage3_ratings": ratings,
    }
