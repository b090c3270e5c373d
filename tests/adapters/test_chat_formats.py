"""Chat logs in each built-in format, and in a format a mapping file describes, become drops.

Files are written in each format's documented shape, with invented content.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.adapters import FORMATS, AdapterError, adapt, detect_format
from pipelines.adapters.__main__ import main
from tests.ingest.test_ingest import ingest


@pytest.fixture(autouse=True)
def hash_key(monkeypatch):
    monkeypatch.setenv("PIPELINES_HASH_KEY", "a-test-key-of-enough-bytes")


def write_lines(path: Path, rows: list) -> Path:
    """JSONL; a str row is written as it is (a broken line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


def moderation(flagged: bool) -> dict:
    return {
        "categories": {"harassment": flagged},
        "category_scores": {"harassment": 0.01},
        "flagged": flagged,
    }


LMSYS_ROWS = [
    {
        "conversation_id": "5e1f0c9a7d2b4c6e8f0a1b2c3d4e5f60",
        "model": "vicuna-13b",
        "conversation": [
            {"role": "user", "content": "I am NAME_1. Draft a thank-you note to NAME_2."},
            {"role": "assistant", "content": "Dear NAME_2, thank you for the lovely tea. NAME_1"},
        ],
        "turn": 1,
        "language": "English",
        "openai_moderation": [moderation(False), moderation(False)],
        "redacted": True,
    },
    {
        "conversation_id": "0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e",
        "model": "koala-13b",
        "conversation": [
            {"role": "user", "content": "Explain photosynthesis to a child."},
            {"role": "assistant", "content": "Plants use sunlight to make food from air."},
            {"role": "user", "content": "Shorter, please."},
            {"role": "assistant", "content": "Leaves turn light into food."},
        ],
        "turn": 2,
        "language": "English",
        "openai_moderation": [
            moderation(False),
            moderation(True),
            moderation(False),
            moderation(False),
        ],
        "redacted": False,
    },
    '{"conversation_id": "broken", "conversation": [',
    {"conversation_id": "c0ffee00c0ffee00c0ffee00c0ffee00", "model": "alpaca-13b", "turn": 0},
]


def message(message_id: str, role: str, text: str, replies: list, user: str = "u-1") -> dict:
    return {
        "message_id": message_id,
        "user_id": f"5f2c0e4a-0000-4000-8000-00000000000{user[-1]}",
        "created_date": "2023-02-10T08:00:00.000000+00:00",
        "role": role,
        "text": text,
        "lang": "en",
        "review_result": True,
        "replies": replies,
    }


OASST_ROWS = [
    {
        "message_tree_id": "m-root",
        "tree_state": "ready_for_export",
        "prompt": message(
            "m-root",
            "prompter",
            "What should I pack for a day hike?",
            [
                message(
                    "m-a1",
                    "assistant",
                    "Water, snacks, a map and a rain layer.",
                    [
                        message(
                            "m-p2",
                            "prompter",
                            "And in winter?",
                            [message("m-a3", "assistant", "Add gloves and a warm hat.", [])],
                            user="u-2",
                        )
                    ],
                ),
                message("m-a2", "assistant", "Sturdy shoes first, then water.", []),
            ],
        ),
    },
    {"message_tree_id": "m-empty", "prompt": None},
]

MAPPING = """\
source: helpdesk
id: session.id
user: session.customer
timestamp: started_at
model: bot.model
language: lang
turns: exchange
role: speaker
content: text
turn_timestamp: at
roles: {customer: user, agent: assistant}
"""

HELPDESK_ROWS = [
    {
        "session": {"id": "hd-1001", "customer": "cust-17"},
        "started_at": 1717236000,
        "bot": {"model": "helper-2"},
        "lang": "English",
        "exchange": [
            {"speaker": "customer", "text": "My order arrived damaged.", "at": 1717236000},
            {"speaker": "agent", "text": "Sorry to hear that; a replacement is on its way."},
        ],
    },
    {
        "session": {"id": "hd-1002", "customer": "cust-17"},
        "started_at": "2024-06-02T09:30:00Z",
        "exchange": [{"speaker": "customer", "text": "Where is my replacement?"}],
    },
    {
        "session": {"id": "hd-1003", "customer": "cust-40"},
        "exchange": [{"speaker": "moderator", "text": "Conversation closed."}],
    },
    {"session": {"id": "hd-1004"}, "note": "no exchange recorded"},
]


def accounted(report: dict) -> dict:
    (counts,) = report["sources"]
    assert counts["units_in"] == counts["written"] + counts["quarantined"]
    return counts


def records(drop: Path) -> list[dict]:
    return [json.loads(line) for line in (drop / "conversations.jsonl").open()]


def test_lmsys_rows_become_conversations_with_their_redactions_declared(tmp_path):
    source = write_lines(tmp_path / "lmsys-chat-1m.jsonl", LMSYS_ROWS)
    report = adapt([source], tmp_path / "lmsys")
    counts = accounted(report)
    assert (counts["units_in"], counts["written"], counts["quarantined"]) == (4, 2, 2)
    first, second = records(tmp_path / "lmsys")
    assert first["turns"][1]["content"] == (
        "Dear <REDACTED_PERSON_2>, thank you for the lovely tea. <REDACTED_PERSON_1>"
    )
    assert (first["redacted"], first["toxic"], second["toxic"]) == (True, False, True)
    assert first["user_id"] != second["user_id"]
    assert "timestamp" not in first, "LMSYS has no dates: none is invented"
    manifest = json.loads((tmp_path / "lmsys" / "manifest.json").read_text())
    assert "NAME_n: 4 in 1 conversations, written as <REDACTED_PERSON_n>" in manifest["description"]


def test_each_root_to_leaf_path_of_an_oasst_tree_is_a_conversation(tmp_path):
    report = adapt([write_lines(tmp_path / "oasst.trees.jsonl", OASST_ROWS)], tmp_path / "oasst")
    counts = accounted(report)
    assert (counts["units_in"], counts["written"], counts["quarantined"]) == (3, 2, 1)
    long, short = records(tmp_path / "oasst")
    assert [t["role"] for t in long["turns"]] == ["user", "assistant", "user", "assistant"]
    assert [t["content"] for t in short["turns"]] == [
        "What should I pack for a day hike?",
        "Sturdy shoes first, then water.",
    ]
    assert long["user_id"] == short["user_id"], "the root prompt's author"
    assert (long["conversation_id"], long["language"]) == ("oasst:m-a3", "English")


def test_a_mapping_file_reads_a_new_chat_format(tmp_path):
    source = write_lines(tmp_path / "helpdesk.jsonl", HELPDESK_ROWS)
    (tmp_path / "helpdesk.yaml").write_text(MAPPING)
    report = adapt([source], tmp_path / "helpdesk", mapping=tmp_path / "helpdesk.yaml")
    counts = accounted(report)
    assert (counts["units_in"], counts["written"], counts["quarantined"]) == (4, 2, 2)
    assert set(counts["reasons"]) == {
        "conversations.turns.0.role: Input should be 'user', 'assistant' or 'system'",
        "conversations.(record): not a helpdesk (mapped) conversation (no turns)",
    }
    first, second = records(tmp_path / "helpdesk")
    assert first == {
        "conversation_id": "hd-1001",
        "source": "helpdesk",
        "source_kind": "real",
        "user_id": "cust-17",
        "timestamp": "2024-06-01T10:00:00+00:00",
        "model": "helper-2",
        "language": "English",
        "turns": [
            {
                "role": "user",
                "content": "My order arrived damaged.",
                "timestamp": "2024-06-01T10:00:00+00:00",
            },
            {"role": "assistant", "content": "Sorry to hear that; a replacement is on its way."},
        ],
    }
    assert second["user_id"] == "cust-17"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("turns: exchange\nrole: speaker\ncontent: text\n", "key 'source' is required"),
        (MAPPING + "speaker: who\n", "key 'speaker' is not one of"),
        (MAPPING.replace("agent: assistant", "agent: bot"), "key 'roles' maps"),
        (MAPPING.replace("source: helpdesk", "source: Help Desk"), "key 'source' must be"),
    ],
)
def test_a_bad_mapping_file_is_an_error_naming_the_file_and_key(tmp_path, text, reason):
    (tmp_path / "bad.yaml").write_text(text)
    source = write_lines(tmp_path / "helpdesk.jsonl", HELPDESK_ROWS)
    with pytest.raises(AdapterError, match=reason) as error:
        adapt([source], tmp_path / "drop", mapping=tmp_path / "bad.yaml")
    assert str(error.value).startswith(f"{tmp_path / 'bad.yaml'}: ")


@pytest.mark.parametrize(
    ("fmt", "row"),
    [
        ("wildchat", {"conversation_hash": "ab12", "conversation": [], "model": "gpt-4"}),
        ("lmsys", LMSYS_ROWS[1]),
        ("oasst", OASST_ROWS[0]),
        ("sharegpt", {"id": "xY9_0", "conversations": [{"from": "human", "value": "Hi"}]}),
        ("openai-messages", {"messages": [{"role": "user", "content": "Hi"}]}),
    ],
)
def test_each_built_in_format_is_detected(tmp_path, fmt, row):
    assert detect_format(write_lines(tmp_path / "log.jsonl", [{"meta": 1}, row])) == fmt


def test_an_unknown_format_is_a_clear_error_listing_the_formats_and_map(tmp_path, capsys):
    source = write_lines(tmp_path / "log.jsonl", HELPDESK_ROWS)
    assert main([str(source), str(tmp_path / "drop")]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {source}: cannot tell its format")
    for name in [*FORMATS, "--map"]:
        assert name in line


def test_lmsys_oasst_and_mapped_drops_land_whole_through_ingest(
    tmp_path, instance, warehouse, warehouse_path
):
    drops = tmp_path / "drops"
    adapt([write_lines(tmp_path / "lmsys.jsonl", LMSYS_ROWS)], drops / "lmsys")
    (tmp_path / "helpdesk.yaml").write_text(MAPPING)
    adapt(
        [write_lines(tmp_path / "helpdesk.jsonl", HELPDESK_ROWS)],
        drops / "helpdesk",
        mapping=tmp_path / "helpdesk.yaml",
    )
    adapt([write_lines(tmp_path / "oasst.trees.jsonl", OASST_ROWS)], drops / "oasst")
    assert ingest(instance, warehouse, drops / "oasst").success
    assert ingest(instance, warehouse, drops / "lmsys").success
    assert ingest(instance, warehouse, drops / "helpdesk").success
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        files = conn.execute(
            "select _drop_id, rows_read, rows_landed, rows_quarantined from raw.ingested_files"
        ).fetchall()
        landed = dict(
            conn.execute("select source, count(*) from raw.conversations group by 1").fetchall()
        )
        adapter_rows = conn.execute(
            "select count(*) from raw.quarantine where _file like 'adapter:%'"
        ).fetchone()[0]
    assert landed == {"lmsys": 2, "helpdesk": 2, "oasst": 2}
    assert all(read == landed_rows and rejected == 0 for _, read, landed_rows, rejected in files)
    assert adapter_rows == 5
