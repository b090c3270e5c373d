"""A drop folder as files: its name, what it may hold, its export files, manifest and lines.

A drop's id is its folder name. It holds plain files only: a symbolic link, a pipe or a device
fails the drop before anything is read.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from pipelines.adapters.writer import QUARANTINE_FILE, REPORT_FILE
from pipelines.contract.models import DropManifest
from pipelines.contract.tables import RAW_FILES
from pipelines.ingest.records import describe

# The contract's drop id: the folder name, also a Dagster partition key and part of a schema name.
DROP_ID = re.compile(r"[A-Za-z0-9_.-]+")


class DropError(Exception):
    """A drop (or one of its files) cannot be read at all; the message names the file."""


def check_drop_folder(folder: Path) -> None:
    """Refuse a drop whose name is not a drop id, or that holds anything but plain files and
    folders, before anything in it is read: a symbolic link would be read as if the drop held its
    target (/proc/self/environ, /etc/passwd), and a pipe or a device would block the read."""
    if not DROP_ID.fullmatch(folder.name) or not folder.name.strip("."):
        raise DropError(
            f"{folder}: a drop folder's name is the drop id: letters, digits, '_', '.' and '-' "
            "only, and not only dots"
        )
    if not folder.is_dir():
        raise DropError(f"{folder}: not a drop folder")
    for path in sorted(folder.iterdir()):
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            raise DropError(f"{path}: a symbolic link; a drop holds files, not links")
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise DropError(f"{path}: not a regular file (a pipe, socket or device)")


def find_export_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The contract's export files in a drop folder, and the names of any other files."""
    exports: dict[str, Path] = {}
    ignored: list[str] = []
    for path in sorted(folder.iterdir()):
        stem = path.name.removesuffix(".gz").removesuffix(".jsonl")
        if path.name in {"manifest.json", QUARANTINE_FILE, REPORT_FILE}:
            continue
        if path.is_file() and path.name.endswith((".jsonl", ".jsonl.gz")) and stem in RAW_FILES:
            if stem in exports:
                raise DropError(f"{path}: the drop has both {exports[stem].name} and {path.name}")
            exports[stem] = path
        else:
            ignored.append(path.name)
    return exports, ignored


def read_manifest(folder: Path) -> DropManifest | None:
    path = folder / "manifest.json"
    if not path.exists():
        return None
    try:
        manifest = DropManifest.model_validate_json(path.read_bytes())
    except ValidationError as error:
        reason = describe(error, path.read_bytes())[1]
        raise DropError(f"{path}: not a valid drop manifest: {reason}") from None
    if manifest.drop_id != folder.name:
        raise DropError(
            f"{path}: drop_id {manifest.drop_id!r} differs from the folder name {folder.name!r}"
        )
    return manifest


def _open(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of each non-blank line, without a leading byte order mark; an
    unreadable file raises DropError."""
    try:
        with _open(path) as handle:
            for number, line in enumerate(handle, start=1):
                if number == 1:
                    line = line.removeprefix(codecs.BOM_UTF8)
                if line.strip():
                    yield number, line
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DropError(f"{path}: cannot be read ({type(error).__name__}: {error})") from None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
