"""Every string column of the contract has one role, so none reaches a published file unchecked,
and the declaration's mistakes stop the import naming where they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.contract import declaration
from pipelines.contract.declaration import ContractError
from pipelines.contract.models import MODELS
from pipelines.contract.tables import (
    IDENTIFIER_PREFIXES,
    NAME,
    NAME_IN_WORDS,
    RAW_FILES,
    REFERENCES,
    STRING_TYPES,
    TABLES,
)


@pytest.mark.parametrize("table", TABLES.values(), ids=list(TABLES))
def test_every_string_column_is_text_identifier_or_vocabulary(table):
    """A new string column must be declared scrubbed, hashed or drawn from a vocabulary."""
    roles = {
        "text": set(table.text_columns),
        "identifier": set(table.identifier_columns),
        "vocabulary": set(table.vocabulary_columns),
    }
    for role, columns in roles.items():
        assert columns <= set(table.columns), f"{table.name}: {role} columns not in the table"
    for column, kind in table.columns.items():
        held = [role for role, columns in roles.items() if column in columns]
        if kind.removesuffix(" NOT NULL") in STRING_TYPES:
            assert len(held) == 1, f"{table.name}.{column} has roles {held}, needs exactly one"
        else:
            assert not held, f"{table.name}.{column} holds no string yet has roles {held}"


@pytest.mark.parametrize(
    ("vocabulary", "value", "admitted"),
    [
        (NAME, "gpt-4o-mini-2024-07-18", True),
        (NAME, "meta-llama/Llama-3.1-70B-Instruct", True),
        (NAME, "llm:claude-3-5-sonnet", True),
        (NAME, "+1 415 555 0134", False),
        (NAME, "jane.doe@example.org", False),
        (NAME, "x" * 81, False),
        (NAME_IN_WORDS, "Chinese (China)", True),
        (NAME_IN_WORDS, "Côtes-d'Armor", True),
        (NAME_IN_WORDS, "Bình Dương Province", True),
        (NAME_IN_WORDS, "Trinidad & Tobago", True),
        (NAME_IN_WORDS, "Apt 4, 12 Elm Street", False),
        (NAME_IN_WORDS, "(415) 555-0134", False),
    ],
)
def test_open_vocabularies_admit_names_and_refuse_numbers_and_addresses(
    vocabulary, value, admitted
):
    assert vocabulary.admits(value) is admitted


def test_a_record_becomes_the_rows_its_table_declares():
    conversation = RAW_FILES["conversations"].model.model_validate_json(
        '{"conversation_id": "c1", "source": "wildchat", "source_kind": "real", '
        '"hashed_ip": "ip-1", "timestamp": "2024-05-01T10:00:00", '
        '"turns": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}'
    )
    rows = list(RAW_FILES["conversations"].to_rows(conversation))

    assert [table for table, _ in rows] == ["conversations", "turns", "turns"]
    parent = rows[0][1]
    assert list(parent) == list(TABLES["conversations"].columns)
    assert parent["user_id"] == "ip-1", "a user without user_id is grouped by hashed IP"
    assert parent["n_turns"] == 2 and parent["timestamp"].tzinfo is not None
    assert [row["turn_index"] for _, row in rows[1:]] == [0, 1]
    assert {row["conversation_id"] for _, row in rows[1:]} == {"c1"}


def test_every_reference_and_identifier_points_at_a_declared_column():
    for (table, column), (target, target_column) in REFERENCES.items():
        assert column in TABLES[table].columns and target_column in TABLES[target].columns
    for table in TABLES.values():
        for column in table.identifier_columns:
            assert column in declaration.CONTRACT.identifiers, f"{table.name}.{column}"
    assert IDENTIFIER_PREFIXES["annotator_id"] == "annotator"
    assert set(MODELS) == set(TABLES)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (
            (
                "      prompt_text:\n        type: string\n",
                "      prompt_text:\n        type: text\n",
            ),
            "tables.prompts.prompt_text: type 'text'",
        ),
        (
            (
                "        role: text\n        description: the prompt\n",
                "        description: the prompt\n",
            ),
            "tables.prompts.prompt_text: a string column needs a role",
        ),
        (
            ("        vocabulary: source_kind\n", "        vocabulary: source_kinds\n"),
            "tables.conversations.source_kind: vocabulary 'source_kinds' is not declared",
        ),
    ],
)
def test_a_mistake_in_the_declaration_names_table_and_column(tmp_path: Path, edit, named):
    text = declaration.CONTRACT_FILE.read_text(encoding="utf-8")
    assert edit[0] in text
    broken = tmp_path / "contract.yml"
    broken.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ContractError, match="contract.yml: " + named.replace("(", r"\(")):
        declaration.load(broken)


def test_the_privacy_stage_treats_identifiers_as_the_contract_declares():
    """Each identifier column the contract declares (`identifiers:`) is hashed with its prefix,
    hashed item by item, reduced or dropped by the scrub, as declared."""
    from pipelines.contract import tables
    from pipelines.privacy.identifier_hashing import IdentifierHasher
    from pipelines.privacy.pseudonymizer import hash_identifier

    key = b"k" * 32
    hasher = IdentifierHasher(key)
    for column in tables.IDENTIFIER_PREFIXES:
        if column != "annotator_id":
            assert hasher.scrub(column, "x-1", None) == hash_identifier(key, column, "x-1")
    for column, item in tables.IDENTIFIER_LISTS.items():
        assert hasher.scrub(column, ["a", "b"], None) == [
            hash_identifier(key, item, "a"),
            hash_identifier(key, item, "b"),
        ]
    for column, named in tables.IDENTIFIERS_IN_OBJECTS.items():
        scrubbed = json.loads(hasher.scrub(column, json.dumps([{named: "c", "n": 1}]), None))
        assert scrubbed == [{named: hash_identifier(key, named, "c"), "n": 1}]
    for column in tables.NULLED_IDENTIFIERS:
        assert hasher.scrub(column, "Ada Lovelace", None) is None
    assert tables.REDUCED_IDENTIFIERS == {"header": "client_kind"}
    header = json.dumps({"user-agent": "python-requests/2.31", "accept-language": "en-GB"})
    assert json.loads(hasher.scrub("header", header, None)) == {"client_kind": "programmatic"}
