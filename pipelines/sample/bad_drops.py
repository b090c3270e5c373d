"""Small drops that each break the contract in one known way, for the ingest and its tests.

Every drop is a handful of valid records plus the bad line(s) listed in `BAD_LINES`; the same list
writes `README.md`, so the documentation cannot drift from the files.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.sample.plan import CREATED_AT
from pipelines.text_format import markdown_table

USER = "9f2c4e1a7b3d5f60812a4c6e8b0d2f4169a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1"
HUMANS = ["5e8f1c2a9b7d3e4f6a0b1c2d", "63a4b5c6d7e8f9012a3b4c5d"]
LLM = "llm:gpt-4o"
ATTRIBUTES = ["attr_001_00", "attr_001_01", "attr_001_02"]
PROMPT = "prompt_001"
MISSING_ATTRIBUTE = "attr_999_99"


@dataclass(frozen=True)
class BadLine:
    drop: str
    file: str
    line: int
    field: str
    problem: str


BAD_LINES = [
    BadLine(
        "truncated-json",
        "stage2_judgments.jsonl",
        3,
        "(record)",
        "the line is cut in the middle of the JSON object",
    ),
    BadLine("wrong-types", "stage2_judgments.jsonl", 4, "relevant", "`relevant` is 1, not true"),
    BadLine("wrong-types", "stage3_ratings.jsonl", 2, "rating", '`rating` is "5", a string'),
    BadLine(
        "unknown-label",
        "stage1_judgments.jsonl",
        2,
        "label",
        '`label` is "maybe", not accepted / uncertain / rejected',
    ),
    BadLine(
        "missing-reference",
        "stage2_judgments.jsonl",
        5,
        "attribute_id",
        f"`attribute_id` {MISSING_ATTRIBUTE} is not in the drop",
    ),
    BadLine(
        "duplicate-rows",
        "stage2_judgments.jsonl",
        10,
        "annotator_id, attribute_id, prompt_id",
        "the same judgment as line 2",
    ),
    BadLine(
        "non-utf8",
        "conversations.jsonl",
        2,
        "(record)",
        "raw bytes \\xff\\xfe inside a turn's text",
    ),
]


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _base_records() -> dict[str, list[dict[str, Any]]]:
    """A tiny valid drop: one user, three attributes, one prompt, two humans and one LLM."""
    turn_time = "2023-05-02T10:00:00+00:00"
    conversations = [
        {
            "conversation_id": f"c001_{n:03d}",
            "source": "wildchat",
            "source_kind": "real",
            "hashed_ip": USER,
            "header": {"user-agent": "Mozilla/5.0", "accept-language": "en-US,en;q=0.9"},
            "country": "United States",
            "state": "Texas",
            "timestamp": turn_time,
            "model": "gpt-3.5-turbo",
            "language": "English",
            "turns": [
                {"role": "user", "content": question, "language": "English"},
                {"role": "assistant", "content": answer, "language": "English"},
            ],
        }
        for n, (question, answer) in enumerate(
            [
                ("How do I grow basil on a balcony?", "Six hours of sun and a deep pot."),
                ("Any tips for a 10k?", "Build up your long run slowly."),
                ("Recipe for lentil soup?", "Onion, carrots, lentils, stock, 30 minutes."),
            ]
        )
    ]
    attributes = [
        {
            "attribute_id": attribute_id,
            "user_id": USER,
            "attribute": text,
            "extractor_model": "gpt-4o-mini",
            "confidence": 0.8,
            "evidence": [{"conversation_id": f"c001_{n:03d}", "turn_indexes": [0]}],
        }
        for n, (attribute_id, text) in enumerate(
            zip(
                ATTRIBUTES,
                ["The user grows basil.", "The user runs.", "The user cooks at home."],
                strict=True,
            )
        )
    ]
    judges = [*HUMANS, LLM]
    return {
        "annotators": [
            {
                "annotator_id": HUMANS[0],
                "kind": "human",
                "platform": "prolific",
                "display_name": "Robin",
            },
            {
                "annotator_id": HUMANS[1],
                "kind": "human",
                "platform": "prolific",
                "display_name": "Casey",
            },
            {"annotator_id": LLM, "kind": "llm", "model_name": "gpt-4o"},
        ],
        "prompts": [
            {
                "prompt_id": PROMPT,
                "prompt_text": "How do I stay motivated to exercise?",
                "source": "lima",
                "source_id": "lima_12",
            },
        ],
        "conversations": conversations,
        "attributes": attributes,
        "stage1_judgments": [
            {
                "annotator_id": human,
                "attribute_id": attribute_id,
                "label": "accepted",
                "timestamp": "2025-03-03T09:00:00+00:00",
            }
            for attribute_id in ATTRIBUTES
            for human in HUMANS
        ],
        "stage2_judgments": [
            {
                "annotator_id": judge,
                "user_id": USER,
                "attribute_id": attribute_id,
                "prompt_id": PROMPT,
                "relevant": attribute_id == ATTRIBUTES[1],
                **(
                    {"raw_answer": "YES" if attribute_id == ATTRIBUTES[1] else "NO"}
                    if judge == LLM
                    else {
                        "rating": "necessary_implicit"
                        if attribute_id == ATTRIBUTES[1]
                        else "unnecessary"
                    }
                ),
            }
            for attribute_id in ATTRIBUTES
            for judge in judges
        ],
        "stage3_items": [
            {
                "item_id": "item_001_00",
                "user_id": USER,
                "prompt_id": PROMPT,
                "generator_model": "gpt-4o",
                "generic_response": "Set small goals and track them.",
                "personalized_response": "Since you run, sign up for a 10k to keep you going.",
                "presentation_order": "personalized_first",
                "mentions_attribute_explicitly": True,
                "attribute_ids": [ATTRIBUTES[1]],
            }
        ],
        "stage3_ratings": [
            {"annotator_id": judge, "item_id": "item_001_00", "rating": rating}
            for judge, rating in zip(judges, [4, 3, 5], strict=True)
        ],
    }


def _spoil(kind: str, files: dict[str, list[bytes]]) -> None:
    """Make the lines of `BAD_LINES` for one drop bad, in place."""
    stage2 = files["stage2_judgments"]
    if kind == "truncated-json":
        stage2[2] = stage2[2][: len(stage2[2]) // 2] + b"\n"
    elif kind == "wrong-types":
        stage2[3] = (
            stage2[3]
            .replace(b'"relevant":true', b'"relevant":1')
            .replace(b'"relevant":false', b'"relevant":1')
        )
        files["stage3_ratings"][1] = files["stage3_ratings"][1].replace(
            b'"rating":3', b'"rating":"5"'
        )
    elif kind == "unknown-label":
        stage1 = files["stage1_judgments"]
        stage1[1] = stage1[1].replace(b'"label":"accepted"', b'"label":"maybe"')
    elif kind == "missing-reference":
        stage2[4] = stage2[4].replace(ATTRIBUTES[1].encode(), MISSING_ATTRIBUTE.encode())
    elif kind == "duplicate-rows":
        stage2.append(stage2[1])
    elif kind == "non-utf8":
        conversations = files["conversations"]
        conversations[1] = conversations[1].replace(b"Any tips", b"Any \xff\xfe tips")
    else:
        raise ValueError(f"unknown kind of bad drop: {kind}")


def write_bad_drops(folder: Path) -> list[Path]:
    """Write one drop per kind in `BAD_LINES` and the README that lists the bad lines."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in dict.fromkeys(bad.drop for bad in BAD_LINES):
        drop = folder / kind
        if drop.exists():
            shutil.rmtree(drop)
        drop.mkdir()
        files = {stem: [_line(r) for r in rows] for stem, rows in _base_records().items()}
        _spoil(kind, files)
        for stem, lines in files.items():
            (drop / f"{stem}.jsonl").write_bytes(b"".join(lines))
        manifest = {
            "drop_id": kind,
            "created_at": CREATED_AT.isoformat(),
            "description": f"Bad-input drop: {kind}; see ../README.md.",
            "producer": "pipelines.sample.bad_drops",
        }
        (drop / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        written.append(drop)
    rows = markdown_table(
        ["drop", "file", "line", "field", "what is bad"],
        ([b.drop, b.file, b.line, b.field, b.problem] for b in BAD_LINES),
    )
    (folder / "README.md").write_text(
        "# Bad-input drops\n\n"
        "Each folder is a small drop whose records are valid except the lines below (line "
        "numbers count from 1). The ingest must land the good records and quarantine each bad "
        "line naming its file, line and field. One bad line in a handful can pass the default "
        "quarantined share of a file (10%), which fails the drop naming the file; with "
        "`PIPELINES_MAX_QUARANTINED_SHARE=1` every one lands. Written by "
        "`python -m pipelines.sample "
        "--bad-drops samples/bad_drops` (`pipelines/sample/bad_drops.py`); do not edit by "
        "hand.\n\n" + rows + "\n"
    )
    return written
