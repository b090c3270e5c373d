"""YAML as the generated files write it: keys in declaration order, lists indented under their
key, short lists and mappings of plain values on one line, SQL and other multi-line text as
literal blocks."""

from __future__ import annotations

from typing import Any

import yaml

# A mapping of plain values stays on one line up to this many characters (`{severity: warn}`).
_FLOW_CHARS = 60


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        # Anchors would make the generated files harder to read than repeating a small mapping.
        return True


def _plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and "\n" not in str(value)


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list) -> yaml.SequenceNode:
    flow = all(_plain(item) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _dict(dumper: yaml.SafeDumper, value: dict) -> yaml.MappingNode:
    short = sum(len(str(k)) + len(str(v)) + 4 for k, v in value.items()) <= _FLOW_CHARS
    flow = short and "description" not in value and all(_plain(v) for v in value.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=flow)


_Dumper.add_representer(str, _string)
_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _dict)


def dump(data: Any, indent: int = 0) -> str:
    """`data` as YAML, each line indented by `indent` spaces."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=88, allow_unicode=True)
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))
