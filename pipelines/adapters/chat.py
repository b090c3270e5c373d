"""Conversations in the usual public chat formats, turned into contract conversations.

- WildChat rows (`conversation_hash`, `conversation` or `messages`, metadata at the top level or
  under `metadata`). A row without `hashed_ip` gets it from the study's user index
  (convs_index.db: conversation_hash -> hashed_ip); one found in no index becomes its own user,
  `wildchat-conv:<conversation_hash>`, so it stays countable and is filtered out by the models'
  minimum-history rule rather than dropped here.
- ShareGPT (`id`, `conversations: [{from: human|gpt|system, value}]`). ShareGPT split long shares
  into parts `<share>_<n>`; the parts of one share are one user, `sharegpt:<share>`. The model is
  ChatGPT (`chatgpt`). The text was never redacted: the privacy stage scrubs it like any text.
- OpenAI-style messages (`messages: [{role, content}]`, optional `id`, `user`, `model`,
  `created`). Without `id` the conversation id is a hash of the messages.
- LMSYS-Chat-1M (`conversation_id`, `model`, `conversation: [{role, content}]`, `language`,
  `openai_moderation`, `redacted`). Its own `NAME_n` name redactions become
  `<REDACTED_PERSON_n>`: the placeholders' `<TYPE_n>` shape, with a type of their own so that the
  upstream numbering never meets the privacy stage's `<PERSON_n>` in the same history.
- OpenAssistant message trees (`{message_tree_id, prompt: {message_id, user_id, created_date,
  role: prompter|assistant, text, lang, replies: [...]}}`, the `*.trees.jsonl` exports): each
  root-to-leaf path is one conversation, so a tree with branches gives several conversations
  that share their first turns.
- Any other chat JSONL through a mapping file (`pipelines/adapters/mapping.py`).

A field the source does not have (most often `timestamp`) is left out, so the record is
quarantined by the contract's own rule unless the maintainer supplies a default (`--default`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from pipelines.adapters.writer import AdapterError, DropWriter

TURN_FIELDS = {
    "wildchat": {"conversation", "messages"},
    "sharegpt": {"conversations"},
    "openai-messages": {"messages"},
    "lmsys": {"conversation"},
    "oasst": {"prompt"},
}
"""Where each built-in format keeps a conversation's turns."""
LMSYS_NAME = re.compile(r"\bNAME_(\d+)\b")
"""LMSYS-Chat-1M's own redaction of a person's name: NAME_1, NAME_2 ... per conversation."""
OASST_ROLES = {"prompter": "user", "assistant": "assistant"}
SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "assistant": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "system": "system",
}


def read_units(path: Path) -> Iterator[tuple[int, str, Any]]:
    """(line or position, item label, parsed JSON or the JSONDecodeError) of each unit of a source.

    A `.jsonl`/`.jsonl.gz` file yields its lines, a `.json` file its list items (or itself), a
    folder its `.json`/`.jsonl` files in name order.
    """
    if path.is_dir():
        for position, child in enumerate(sorted(path.iterdir()), start=1):
            if is_json_file(child):
                for line, item, value in read_units(child):
                    yield (
                        position if child.suffix == ".json" else line,
                        f"{child.name}:{item}",
                        value,
                    )
        return
    try:
        if path.name.endswith((".jsonl", ".jsonl.gz")):
            opener = gzip.open if path.name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as handle:
                for number, text in enumerate(handle, start=1):
                    if text.strip():
                        yield number, f"line {number}", _parse(text)
        elif path.suffix == ".json":
            value = _parse(path.read_text(encoding="utf-8"))
            if isinstance(value, list):
                for position, element in enumerate(value, start=1):
                    yield position, f"[{position - 1}]", element
            else:
                yield 1, "(file)", value
    except (OSError, UnicodeDecodeError, EOFError) as error:
        raise AdapterError(f"{path}: cannot be read ({type(error).__name__}: {error})") from None


def is_json_file(path: Path) -> bool:
    """Whether `read_units` reads this child of a source folder."""
    return path.suffix in {".json", ".jsonl"} or path.name.endswith(".jsonl.gz")


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        return error


def load_user_index(db: Path) -> dict[str, str]:
    """conversation_hash -> hashed_ip from the study's convs_index.db (read only).

    A hash listed under two users is ambiguous and left out.
    """
    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        for hashed_ip, hashes in conn.execute(
            "select hashed_ip, conversation_hash from convs_index"
        ):
            for conversation_hash in json.loads(hashes or "[]"):
                if index.setdefault(conversation_hash, hashed_ip) != hashed_ip:
                    ambiguous.add(conversation_hash)
    for conversation_hash in ambiguous:
        del index[conversation_hash]
    return index


def language_name(code: str | None) -> str | None:
    """`en` -> `English` (WildChat's language names), via CLDR; None if unknown."""
    if not code or code == "unknown":
        return None
    try:
        return Locale.parse(code.replace("-", "_")).english_name
    except (ValueError, UnknownLocaleError):
        return None


def _timestamp(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).isoformat()
    return value if isinstance(value, str) and value else None


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    """Leave out what the source does not have, so the contract decides whether it may be absent."""
    return {k: v for k, v in record.items() if v is not None}


def wildchat_conversation(row: dict[str, Any], user_index: Mapping[str, str]) -> dict[str, Any]:
    meta = {**row.get("metadata", {}), **{k: v for k, v in row.items() if k != "metadata"}}
    conversation_hash = meta.get("conversation_hash") or str(meta.get("id", "")).removeprefix(
        "wildchat_"
    )
    hashed_ip = meta.get("hashed_ip") or user_index.get(conversation_hash)
    turns = [
        _compact(
            {
                "role": turn.get("role"),
                "content": turn.get("content"),
                "language": turn.get("language"),
                "timestamp": _timestamp(turn.get("timestamp")),
            }
        )
        for turn in meta.get("conversation") or meta.get("messages") or []
    ]
    return _compact(
        {
            "conversation_id": conversation_hash or None,
            "source": "wildchat",
            "source_kind": "real",
            "hashed_ip": hashed_ip,
            "user_id": None if hashed_ip else f"wildchat-conv:{conversation_hash}",
            "header": meta.get("header"),
            "country": meta.get("country"),
            "state": meta.get("state"),
            "timestamp": _timestamp(meta.get("timestamp")),
            "model": meta.get("model"),
            "language": meta.get("language"),
            "toxic": meta.get("toxic"),
            "redacted": meta.get("redacted"),
            "turns": turns,
        }
    )


def sharegpt_conversation(row: dict[str, Any]) -> dict[str, Any]:
    conversation_id = str(row.get("id", ""))
    share = conversation_id.rsplit("_", 1)[0] if "_" in conversation_id else conversation_id
    turns = [
        _compact(
            {
                "role": SHAREGPT_ROLES.get(str(turn.get("from")).lower(), turn.get("from")),
                "content": turn.get("value"),
                "language": language_name(turn.get("language")),
            }
        )
        for turn in row.get("conversations") or []
    ]
    user_languages = Counter(t.get("language") for t in turns if t.get("role") == "user")
    language = user_languages.most_common(1)[0][0] if user_languages else None
    return _compact(
        {
            "conversation_id": f"sharegpt:{conversation_id}" if conversation_id else None,
            "source": "sharegpt",
            "source_kind": "real",
            "user_id": f"sharegpt:{share}" if share else None,
            "model": "chatgpt",
            "language": language,
            "turns": turns,
        }
    )


def openai_conversation(row: dict[str, Any], source: str, source_kind: str) -> dict[str, Any]:
    messages = row.get("messages") or []
    conversation_id = (
        row.get("id")
        or "msg-"
        + hashlib.sha256(
            json.dumps(messages, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()[:20]  # not 24: the shape of a crowd-platform ID
    )
    content = [
        _compact({"role": m.get("role"), "content": _text(m.get("content"))}) for m in messages
    ]
    return _compact(
        {
            "conversation_id": str(conversation_id),
            "source": source,
            "source_kind": source_kind,
            "user_id": row.get("user") or f"{source}-conv:{conversation_id}",
            "timestamp": _timestamp(row.get("created")),
            "model": row.get("model"),
            "language": row.get("language"),
            "turns": content,
        }
    )


def _text(content: Any) -> Any:
    """OpenAI content parts ([{type: text, text}]) joined into one string."""
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content


def lmsys_conversation(row: dict[str, Any], redactions: Counter[str]) -> dict[str, Any]:
    """An LMSYS-Chat-1M row; its `NAME_n` redactions become `<REDACTED_PERSON_n>` placeholders.

    LMSYS names no user: each conversation is its own user, `lmsys-conv:<conversation_id>`.
    `toxic` is whether OpenAI's moderation flagged any turn.
    """
    conversation_id = str(row.get("conversation_id") or "")
    turns, names = [], 0
    for turn in row.get("conversation") or []:
        content = turn.get("content")
        if isinstance(content, str):
            content, found = LMSYS_NAME.subn(r"<REDACTED_PERSON_\1>", content)
            names += found
        turns.append(_compact({"role": turn.get("role"), "content": content}))
    redactions["names"] += names
    redactions["conversations"] += names > 0
    moderation = row.get("openai_moderation") or []
    return _compact(
        {
            "conversation_id": f"lmsys:{conversation_id}" if conversation_id else None,
            "source": "lmsys",
            "source_kind": "real",
            "user_id": f"lmsys-conv:{conversation_id}" if conversation_id else None,
            "model": row.get("model"),
            "language": row.get("language"),
            "toxic": any(isinstance(m, dict) and m.get("flagged") is True for m in moderation),
            "redacted": row.get("redacted"),
            "turns": turns,
        }
    )


def oasst_conversations(row: dict[str, Any]) -> list[dict[str, Any]]:
    """An OpenAssistant message tree: each path from the root prompt to a leaf is a conversation.

    Its id is `oasst:<leaf message_id>`; its user the author of the root prompt
    (`oasst:<user_id>`): a later prompter turn of the path may be another person's, whose id the
    contract has no place for. Timestamp and language are the root prompt's.
    """
    root = row["prompt"]
    if not isinstance(root, dict):
        return []
    return [
        _compact(
            {
                "conversation_id": f"oasst:{path[-1].get('message_id')}",
                "source": "oasst",
                "source_kind": "real",
                "user_id": f"oasst:{root['user_id']}" if root.get("user_id") else None,
                "timestamp": _timestamp(root.get("created_date")),
                "language": language_name(root.get("lang")),
                "turns": [
                    _compact(
                        {
                            "role": OASST_ROLES.get(node.get("role"), node.get("role")),
                            "content": node.get("text"),
                            "language": language_name(node.get("lang")),
                            "timestamp": _timestamp(node.get("created_date")),
                        }
                    )
                    for node in path
                ],
            }
        )
        for path in tree_paths(root)
    ]


def tree_paths(node: dict[str, Any], above: tuple = ()) -> Iterator[list[dict[str, Any]]]:
    """Every path from `node` down to a message without replies."""
    path = [*above, node]
    replies = [reply for reply in node.get("replies") or [] if isinstance(reply, dict)]
    if not replies:
        yield path
    for reply in replies:
        yield from tree_paths(reply, tuple(path))


Converter = Callable[[dict[str, Any]], dict[str, Any] | list[dict[str, Any]] | None]
"""A source row -> its contract conversation (or several: the paths of a message tree), or None
when the row holds no turns."""


def converter(
    fmt: str,
    user_index: Mapping[str, str],
    source: str,
    source_kind: str,
    redactions: Counter[str],
) -> Converter:
    """The converter of a built-in chat format."""
    convert: dict[str, Converter] = {
        "wildchat": lambda row: wildchat_conversation(row, user_index),
        "sharegpt": sharegpt_conversation,
        "openai-messages": lambda row: openai_conversation(row, source, source_kind),
        "lmsys": lambda row: lmsys_conversation(row, redactions),
        "oasst": oasst_conversations,
    }
    return lambda row: convert[fmt](row) if TURN_FIELDS[fmt] & row.keys() else None


def adapt_chat(writer: DropWriter, path: Path, fmt: str, convert: Converter) -> None:
    """Write the conversations of one chat-format source; a unit is one conversation."""
    counts = writer.source(path.name + ("/" if path.is_dir() else ""), "conversation")
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if not is_json_file(child):
                writer.not_read[f"{path.name}/{child.name}"] = "not a .json or .jsonl(.gz) file"
    for line, item, value in read_units(path):
        if isinstance(value, json.JSONDecodeError):
            writer.reject(
                counts, line, item, "conversations", "(record)", f"invalid JSON: {value.msg}"
            )
            continue
        converted = convert(value) if isinstance(value, dict) else None
        if not converted:
            writer.reject(
                counts,
                line,
                item,
                "conversations",
                "(record)",
                f"not a {fmt} conversation (no turns)",
            )
            continue
        if isinstance(converted, dict):
            writer.unit(counts, line, item, [("conversations", converted)])
            continue
        for position, record in enumerate(converted):
            writer.unit(counts, line, f"{item} path[{position}]", [("conversations", record)])
    writer.finished(counts)
