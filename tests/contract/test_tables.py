"""Every string column of the contract has one role, so none reaches a published file unchecked."""

from __future__ import annotations

import pytest

from pipelines.contract.tables import NAME, NAME_IN_WORDS, STRING_TYPES, TABLES


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
