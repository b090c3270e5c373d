"""YAML as the project reads it: safe loading, with libyaml's C parser when PyYAML has one.

A release and its validations read tens of YAML files (suites, the card's metadata, dbt schema
files); the pure-Python parser made that several seconds of every run.
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load`, faster; raises yaml.YAMLError alike."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


def compose_yaml(text: str) -> yaml.Node | None:
    """The document's node tree, with line marks, as `yaml.compose` gives it."""
    return yaml.compose(text, Loader=_LOADER)
