"""Where generated records go: the drop's export files, written as records are made, and the
ground truth of planted personal values beside it; with what every stage writing them shares.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from pipelines.contract.tables import RAW_FILES, TABLES
from pipelines.sample.fakes import Span


def weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def compact(record: dict[str, Any]) -> dict[str, Any]:
    """Leave out unset optional fields, as exporters do; the models default them to None."""
    return {k: v for k, v in record.items() if v is not None}


class Sink:
    """The open export files of a drop; each record is written the moment it is made."""

    def __init__(self, stack: ExitStack, folder: Path, compress: bool, skip: tuple[str, ...] = ()):
        self.handles: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = {}
        for stem in RAW_FILES:
            if stem in skip:
                continue
            if compress:
                raw = stack.enter_context((folder / f"{stem}.jsonl.gz").open("wb"))
                # No name and no time in the gzip header, so the bytes repeat.
                binary = stack.enter_context(gzip.GzipFile("", "wb", 6, raw, mtime=0))
                handle = stack.enter_context(
                    io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
                )
            else:
                handle = stack.enter_context(
                    (folder / f"{stem}.jsonl").open("w", encoding="utf-8", newline="\n")
                )
            self.handles[stem] = handle
            self.counts[stem] = 0

    def write(self, stem: str, record: dict[str, Any]) -> None:
        if stem not in self.handles:
            return
        line = json.dumps(compact(record), ensure_ascii=False, separators=(",", ":"))
        self.handles[stem].write(line + "\n")
        self.counts[stem] += 1


class Ledger:
    """The ground truth of planted values, spooled to two part files and joined at the end."""

    def __init__(self, stack: ExitStack, path: Path | None):
        self.path = path
        self.entities = 0
        self.decoys = 0
        self.parts: dict[str, IO[str]] = {}
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            for part in ("entities", "decoys"):
                self.parts[part] = stack.enter_context(
                    path.with_name(f"{path.name}.{part}.part").open("w", encoding="utf-8")
                )

    def record(self, table: str, key: dict[str, Any], column: str, spans: list[Span]) -> None:
        if self.path is None:
            return
        for span in spans:
            planted = span.planted
            entry: dict[str, Any] = {"table": table, "key": key, "field": column}
            if planted.entity_type:
                entry["entity_type"] = planted.entity_type
                part = "entities"
                self.entities += 1
            else:
                entry["kind"] = planted.decoy
                part = "decoys"
                self.decoys += 1
            entry.update(value=planted.value, start=span.start, end=span.end)
            separator = ",\n" if (self.entities if part == "entities" else self.decoys) > 1 else ""
            self.parts[part].write(separator + json.dumps(entry, ensure_ascii=False))

    def finish(self) -> None:
        """Join the parts into `{"entities": [...], "decoys": [...]}`, one entry per line."""
        if self.path is None:
            return
        for handle in self.parts.values():
            handle.close()
        with self.path.open("w", encoding="utf-8") as out:
            for index, part in enumerate(("entities", "decoys")):
                part_path = self.path.with_name(f"{self.path.name}.{part}.part")
                out.write(("{" if index == 0 else ",\n") + f'"{part}": [\n')
                with part_path.open(encoding="utf-8") as handle:
                    shutil.copyfileobj(handle, out)
                out.write("\n]")
                part_path.unlink()
            out.write("}\n")


def record_key(table: str, record: dict[str, Any]) -> dict[str, Any]:
    return {column: record[column] for column in TABLES[table].key}


@dataclass(frozen=True)
class Drop:
    """What every stage writing a drop shares: its files, its ground truth, the seed, the width of
    numbered ids, and the judges (human (platform id, first name) pairs, LLM judge ids)."""

    sink: Sink
    ledger: Ledger
    seed: int
    width: int
    humans: list[tuple[str, str]]
    llms: list[str]
