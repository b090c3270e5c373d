"""A mapping file: how to read a chat JSONL that no built-in format covers, without new code.

```yaml
source: teamchat          # source name of the conversations (lower-case letters, digits, _ -)
source_kind: real         # real (default) or synthetic
id: session.id            # dotted paths into a record; a number indexes a list
user: session.user        # without it, each conversation is its own user: <source>-conv:<id>
timestamp: started_at     # epoch seconds or ISO 8601
model: bot.model
language: lang
turns: exchange           # the list of turns (required)
role: speaker             # inside a turn (required)
content: text             # inside a turn (required)
turn_timestamp: at        # inside a turn
roles: {customer: user, agent: assistant}   # the source's role names -> user/assistant/system
```

Without `id` the conversation id is a hash of the turns. A path a record lacks leaves the field
out, so the contract decides whether it may be absent; a role not named under `roles` is kept as
it is, and the contract quarantines it unless it is already user, assistant or system.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines.adapters.chat import _compact, _text, _timestamp
from pipelines.adapters.writer import AdapterError
from pipelines.contract.tables import SOURCE
from pipelines.yaml_text import load_yaml

REQUIRED = ("source", "turns", "role", "content")
ROLES = ("user", "assistant", "system")


@dataclass(frozen=True)
class ChatMapping:
    source: str
    turns: str
    role: str
    content: str
    source_kind: str = "real"
    id: str | None = None
    user: str | None = None
    timestamp: str | None = None
    model: str | None = None
    language: str | None = None
    turn_timestamp: str | None = None
    roles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ChatMapping:
        """Read and check a mapping file; an error names the file and the key."""
        try:
            spec = load_yaml(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise AdapterError(f"{path}: not a readable YAML mapping file ({error})") from None
        if not isinstance(spec, dict):
            raise AdapterError(f"{path}: a mapping file is a YAML mapping of keys to paths")
        known = set(cls.__dataclass_fields__)
        for key in spec.keys() - known:
            raise AdapterError(f"{path}: key {key!r} is not one of {', '.join(sorted(known))}")
        for key in REQUIRED:
            if not spec.get(key):
                raise AdapterError(f"{path}: key {key!r} is required")
        for key, value in spec.items():
            if key != "roles" and not isinstance(value, str):
                raise AdapterError(f"{path}: key {key!r} must be a string")
        roles = spec.get("roles") or {}
        if not isinstance(roles, dict) or any(v not in ROLES for v in roles.values()):
            raise AdapterError(
                f"{path}: key 'roles' maps the source's role names to {', '.join(ROLES)}"
            )
        mapping = cls(**{**spec, "roles": {str(k): v for k, v in roles.items()}})
        if mapping.source_kind not in ("real", "synthetic"):
            raise AdapterError(f"{path}: key 'source_kind' is real or synthetic")
        if not SOURCE.admits(mapping.source):
            raise AdapterError(f"{path}: key 'source' must be {SOURCE.description}")
        return mapping

    def role_name(self, role: Any) -> Any:
        return self.roles.get(role, role) if isinstance(role, str) else role

    def conversation(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """The contract conversation of one record, or None when it holds no list of turns."""
        turns = get(row, self.turns)
        if not isinstance(turns, list):
            return None
        content = [
            _compact(
                {
                    "role": self.role_name(get(turn, self.role)),
                    "content": _text(get(turn, self.content)),
                    "timestamp": _timestamp(get(turn, self.turn_timestamp)),
                }
            )
            for turn in turns
        ]
        conversation_id = get(row, self.id)
        if conversation_id is None:
            digest = hashlib.sha256(json.dumps(turns, sort_keys=True, default=str).encode())
            # 20 hex digits, not 24: 24 is the shape of a crowd-platform ID.
            conversation_id = "conv-" + digest.hexdigest()[:20]
        user = get(row, self.user)
        return _compact(
            {
                "conversation_id": str(conversation_id),
                "source": self.source,
                "source_kind": self.source_kind,
                "user_id": str(user)
                if user is not None
                else f"{self.source}-conv:{conversation_id}",
                "timestamp": _timestamp(get(row, self.timestamp)),
                "model": get(row, self.model),
                "language": get(row, self.language),
                "turns": content,
            }
        )


def get(value: Any, path: str | None) -> Any:
    """The value at a dotted path (`session.user`, `messages.0.text`), or None."""
    if path is None:
        return None
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value
