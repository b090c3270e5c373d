"""Validate a staged release folder before it is published: the gate of every release.

Each config's Parquet files (`data/<config>/<split>-<shard>-NNNNN-of-NNNNN.parquet`) are read by an
in-memory DuckDB as the view `published."<config>"`, with the split in the column `_split`, and
checked with the suite `expectations/published.<config>.yml`. The suites take two parameters:
`card_columns` (the features the dataset card declares, plus `_split`) and `modeled_rows` (the
rows of the mart the config is cut from).

Then the residual-leak scan (`scan_published`) reads every string of every file, the strings
inside list and struct columns included (not the privacy stage's hashed identifiers, which hold
nothing of their values), with the privacy stage's own detector
(`pipelines.privacy.audit.find_identifiers`): phones, e-mails, cards, public IPs, IBANs, platform
IDs, API keys. Its result joins the config's outcome as the blocking expectation
`residual_leak_scan`, naming column and row, never the value.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from huggingface_hub import DatasetCard

from pipelines import settings
from pipelines.privacy.audit import identifiers_in
from pipelines.privacy.pseudonymizer import HASHED_IDENTIFIER
from pipelines.quality.outcome import (
    SHOWN_ROW_KEYS,
    ExpectationOutcome,
    SuiteOutcome,
    ValidationFailed,
)
from pipelines.quality.runner import DuckDBSource, validate
from pipelines.quality.suites import PUBLISHED_SCHEMA, load_suites
from pipelines.release import k_anonymity
from pipelines.release.configs import CONFIGS, USER_COLUMN

SPLIT_COLUMN = "_split"
CARD = "README.md"
# A published file's name: its split, its shard of users, then its part of the shard
# (`train-00003-00000-of-00001.parquet`).
SPLIT_OF_FILE = r"([^/]+?)-\d+-\d+-of-\d+\.parquet$"
LEAK_SCAN = "residual_leak_scan"
WITHHELD_RELATION = "release_withheld_users"
# Rows read per batch: the files are streamed, never loaded whole.
SCAN_BATCH_ROWS = 5_000


def card_features(folder: Path) -> dict[str, list[str]]:
    """Feature names per config, as the staged dataset card's YAML header declares them."""
    info = DatasetCard.load(folder / CARD).data.to_dict().get("dataset_info") or []
    return {entry["config_name"]: [f["name"] for f in entry["features"]] for entry in info}


def _view(config: str, files: list[Path]) -> str:
    paths = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
    return (
        f'create view {PUBLISHED_SCHEMA}."{config}" as select * exclude (filename), '
        f"regexp_extract(filename, '{SPLIT_OF_FILE}', 1) as {SPLIT_COLUMN} "
        f"from read_parquet([{paths}], filename = true)"
    )


def validate_published(
    folder: Path,
    conn: duckdb.DuckDBPyConnection,
    card_features_by_config: Mapping[str, Sequence[str]] | None = None,
    *,
    raise_on_error: bool = True,
    docs_dir: Path | None | Callable[[], Path] = settings.data_docs_dir,
    scan: Collection[str] | None = None,
    configs: Collection[str] | None = None,
) -> list[SuiteOutcome]:
    """Check every config of the release in `folder` against its suite and the warehouse (`conn`,
    for the marts' row counts). Raises ValidationFailed when an error-severity expectation fails.

    The suites read every file. The residual-leak scan reads the files `scan` names (paths in the
    release), when given: the files a release copies unchanged from the previous one were scanned
    when that one was published. `configs` names the configs to check, when not all of them."""
    folder = Path(folder)
    features = card_features_by_config or card_features(folder)
    suites = load_suites()
    outcomes = []
    # Users below k are not published (k_anonymity); every other row of a mart is.
    withheld = sorted(k_anonymity.withheld_users(k_anonymity.assess_warehouse(conn)))
    conn.register(WITHHELD_RELATION, pa.table({USER_COLUMN: pa.array(withheld, pa.string())}))
    for config in CONFIGS:
        if configs is not None and config.name not in configs:
            continue
        suite = suites.get(f"{PUBLISHED_SCHEMA}.{config.name}")
        if suite is None:
            raise LookupError(f"no suite expectations/{PUBLISHED_SCHEMA}.{config.name}.yml")
        files = sorted((folder / config.data_dir).glob("*.parquet"))
        if not files:
            raise FileNotFoundError(f"{folder / config.data_dir}: no Parquet files to validate")
        (modeled_rows,) = conn.execute(
            f'select count(*) from main."{config.table}"'
            + (
                f" where {USER_COLUMN} not in (select {USER_COLUMN} from {WITHHELD_RELATION})"
                if config.per_user
                else ""
            )
        ).fetchone()
        source = DuckDBSource(
            setup=(f"create schema {PUBLISHED_SCHEMA}", _view(config.name, files))
        )
        outcome = validate(
            suite,
            source,
            parameters={
                "card_columns": [*features.get(config.name, []), SPLIT_COLUMN],
                "modeled_rows": modeled_rows,
            },
            docs_dir=docs_dir,
        )
        started = time.perf_counter()
        leak_scan = scan_published(
            [f for f in files if scan is None or f.relative_to(folder).as_posix() in scan],
            suite.row_key,
        )
        checks = [leak_scan] + (
            [k_anonymity.published_outcome(folder)] if config.name == "users" else []
        )
        outcomes.append(
            dataclasses.replace(
                outcome,
                results=[*outcome.results, *checks],
                seconds=outcome.seconds + time.perf_counter() - started,
            )
        )
    conn.unregister(WITHHELD_RELATION)
    failed = [o for o in outcomes if o.errors]
    if failed and raise_on_error:
        raise ValidationFailed(
            "the release failed validation; nothing was published.\n"
            + "\n".join(o.message() for o in failed)
        )
    return outcomes


def _string_leaves(array: pa.Array, rows: np.ndarray) -> Iterator[tuple[pa.Array, np.ndarray]]:
    """Every string array inside a column, with the row of each of its values: list items and
    struct fields are reached however deep, without turning the rows into Python objects."""
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        yield array, rows
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        parents = rows[pc.list_parent_indices(array).to_numpy()]
        yield from _string_leaves(pc.list_flatten(array), parents)
    elif pa.types.is_struct(kind):
        for field in array.flatten():  # a null struct's fields read as null
            yield from _string_leaves(field, rows)


def _row_name(split: str, row: int, keys: Mapping[str, list], position: int, column: str) -> str:
    """Where a leak is: column, split, row (counted from 1 in the split's file), and the row's key
    columns (one that holds an identifier itself is named, its value withheld)."""
    named = [
        f"{name}={value}" if not identifiers_in(str(value)) else f"{name}=(withheld)"
        for name, values in keys.items()
        for value in [values[position]]
    ]
    return f"{column} at {split} row {row + 1}" + (f" ({', '.join(named)})" if named else "")


def scan_published(files: Sequence[Path], row_key: Sequence[str]) -> ExpectationOutcome:
    """The residual-leak scan of one config's files: every string value, streamed batch by batch,
    through `identifiers_in` (the audit's detector, with its memory of recent texts)."""
    found: Counter[tuple[str, str]] = Counter()
    leaking_rows = 0
    named: list[str] = []
    for path in files:
        match = re.search(SPLIT_OF_FILE, path.name)
        split = match.group(1) if match else path.name
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
        key = [name for name in row_key if name in schema.names]
        first_row = 0
        for batch in parquet.iter_batches(batch_size=SCAN_BATCH_ROWS):
            keys = {name: batch.column(name).to_pylist() for name in key}
            rows = np.arange(first_row, first_row + batch.num_rows)
            leaking: set[int] = set()  # this batch's rows: a row is counted once
            for column, array in zip(batch.schema.names, batch.columns, strict=True):
                for leaf, leaf_rows in _string_leaves(array, rows):
                    for text, row in zip(leaf.to_pylist(), leaf_rows.tolist(), strict=True):
                        if not text or HASHED_IDENTIFIER.fullmatch(text):
                            continue
                        types = identifiers_in(text)
                        for entity_type in types:
                            found[(column, entity_type)] += 1
                        if types and row not in leaking:
                            leaking.add(row)
                            if len(named) < SHOWN_ROW_KEYS:
                                named.append(_row_name(split, row, keys, row - first_row, column))
            leaking_rows += len(leaking)
            first_row += batch.num_rows
    kinds = ", ".join(
        f"{column}: {count} x {kind}" for (column, kind), count in sorted(found.items())
    )
    return ExpectationOutcome(
        expectation=LEAK_SCAN,
        columns=tuple(sorted({column for column, _ in found})),
        severity="error",
        success=not found,
        observed=(
            f"{sum(found.values())} identifiers in {leaking_rows} rows ({kinds})"
            if found
            else "no identifier in any string"
        ),
        row_keys=tuple(named),
        notes="no residual e-mail, phone, card number, public IP, IBAN, platform ID or API key "
        "in any string of any column (pipelines/privacy/audit.py); rows named by split, "
        "position and key, never by value",
    )
