"""Adapters: turn real exports into raw-data contract drop folders.

`adapt([SRC...], OUT)` writes OUT as a drop folder (one JSONL per contract export, manifest.json)
from the study's annotation-tool export folder and from chat logs in the WildChat, ShareGPT,
OpenAI-messages, LMSYS-Chat-1M or OpenAssistant-tree format, or any chat JSONL a mapping file
describes, streaming record by record. What cannot be linked or is not valid for the contract
goes to `adapter_quarantine.jsonl` in OUT with its source file, line and reason; ingest loads it
into `raw.quarantine` through `adapter_quarantine_rows`. See docs/adapters.md.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pipelines.adapters.chat import adapt_chat, converter, load_user_index, read_units
from pipelines.adapters.mapping import ChatMapping
from pipelines.adapters.study_tool import StudyToolAdapter, is_study_tool, load_lima
from pipelines.adapters.writer import QUARANTINE_FILE, AdapterError, DropWriter

FORMATS = ("study-tool", "wildchat", "sharegpt", "openai-messages", "lmsys", "oasst")

__all__ = ["FORMATS", "AdapterError", "adapt", "adapter_quarantine_rows", "detect_format"]


def detect_format(path: Path) -> str:
    """The format of a source, from the study tool's file names or the first record's keys."""
    if is_study_tool(path):
        return "study-tool"
    for _, _, value in read_units(path):
        if not isinstance(value, dict):
            continue
        if "conversation_hash" in value:
            return "wildchat"
        if {"conversation_id", "conversation"} <= value.keys():
            return "lmsys"
        if {"message_tree_id", "prompt"} <= value.keys():
            return "oasst"
        if "conversations" in value:
            return "sharegpt"
        if "messages" in value:
            return "openai-messages"
    raise AdapterError(
        f"{path}: cannot tell its format: not a study-tool export folder, and no record has "
        "any of the built-in formats' keys (wildchat: conversation_hash; lmsys: "
        "conversation_id and conversation; oasst: message_tree_id and prompt; sharegpt: "
        "conversations; openai-messages: messages). "
        f"Give --format ({', '.join(FORMATS)}) or --map MAPPING.yaml to describe the format "
        "(docs/adapters.md)"
    )


def adapt(
    sources: list[Path],
    out: Path,
    fmt: str = "auto",
    *,
    lima: Path | None = None,
    convs_index: Path | None = None,
    defaults: dict[str, dict[str, Any]] | None = None,
    source: str = "openai",
    source_kind: str = "real",
    mapping: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write one drop folder from the sources; returns the per-file report.

    Study-tool sources go first, so that their user index (convs_index.db, or `convs_index`)
    gives WildChat conversations without a hashed IP their user. With a `mapping` file, every
    source that is not a study-tool export is read through it. `progress` gets a line per source
    file read (units, seconds, units per second, files done), and one every few seconds while a
    long file is read.
    """
    chat_mapping = ChatMapping.load(mapping) if mapping else None
    formats = [
        (Path(s), "map" if chat_mapping and not is_study_tool(Path(s)) else fmt) for s in sources
    ]
    formats = [(path, detect_format(path) if kind == "auto" else kind) for path, kind in formats]
    formats.sort(key=lambda pair: pair[1] != "study-tool")
    writer = DropWriter(out, defaults, progress)
    index_db = convs_index or next(
        (db for path, f in formats if f == "study-tool" for db in path.rglob("convs_index.db")),
        None,
    )
    user_index = load_user_index(index_db) if index_db else {}
    if index_db:
        writer.lookups[index_db.name] = f"{len(user_index)} conversation hashes -> users"
    lima_texts = load_lima(lima) if lima else {}
    notes = []
    for path, kind in formats:
        if kind == "study-tool":
            StudyToolAdapter(writer, path, lima_texts, index_db).run()
        elif kind == "map":
            adapt_chat(writer, path, f"{chat_mapping.source} (mapped)", chat_mapping.conversation)
        elif kind in FORMATS:
            redactions: Counter[str] = Counter()
            convert = converter(kind, user_index, source, source_kind, redactions)
            adapt_chat(writer, path, kind, convert)
            if kind == "lmsys":
                notes.append(
                    f"{path.name} holds LMSYS-Chat-1M's own redactions of names, NAME_n: "
                    f"{redactions['names']} in {redactions['conversations']} conversations, "
                    "written as <REDACTED_PERSON_n>"
                )
        else:
            raise AdapterError(f"{path}: unknown format {kind!r} (one of {', '.join(FORMATS)})")
    description = "Adapted by pipelines.adapters from " + ", ".join(
        f"{kind} export {path.name}" for path, kind in formats
    )
    if chat_mapping:
        description += f"; mapping {Path(mapping).name} (source {chat_mapping.source})"
    description += "".join(f"; {note}" for note in notes)
    if defaults:
        description += "; maintainer defaults: " + json.dumps(defaults, sort_keys=True)
    return writer.close(description)


def adapter_quarantine_rows(folder: Path) -> Iterator[dict[str, Any]]:
    """The adapter's quarantine of a drop folder as `raw.quarantine` rows, for ingest to insert.

    `_file` is `adapter:<source file>` (annotator names already pseudonymized), `_line` the source
    line, `table_name` the contract table the unit would have become; `raw_record` stays empty:
    the source keeps the record, the row says where.
    """
    path = Path(folder) / QUARANTINE_FILE
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for text in handle:
            row = json.loads(text)
            yield {
                "_drop_id": Path(folder).name,
                "_file": f"adapter:{row['source']}",
                "_line": row["line"],
                "table_name": row["stem"],
                "field": row["field"],
                "reason": f"{row['item']}: {row['reason']}",
                "record_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "raw_record": None,
            }
