"""Checks every claim of a rendered dataset card against the published files, independently.

The card is parsed as a reader sees it (Markdown tables and sentences); each figure is recomputed
from the release's Parquet files with pyarrow (not with the DuckDB queries that rendered it), the
privacy section against `scrubber.yaml` and the contract, and the audit table against the
warehouse's scrub audit; the `metrics` config's figures are recomputed from the published
per-user configs. Every number left in the checked sections after that must be one of a
few known forms (a stage's number, the version, the date), so a figure typed into the template
is caught too. `claim_errors` returns what does not hold; an empty list means the card is true.
"""

from __future__ import annotations

import functools
import json
import math
import re
import warnings
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import yaml

from pipelines import settings
from pipelines.contract.tables import TABLES
from pipelines.privacy.config import DEFAULT_CONFIG_PATH
from pipelines.release.datasheet import dbt_vars
from pipelines.release.k_anonymity import CONVERSATION_BANDS
from tests.models import model_reference

# Sections whose every number must be verified; the others hold configuration text (field
# descriptions, metric definitions, licences, the citation) or the changelog, checked apart.
CHECKED_SECTIONS = (
    "Dataset summary",
    "Data dictionary",
    "Annotators",
    "Metrics of this release",
    "Personal data",
    "Uses",
    "Known limitations",
    "What is empty or left out, and why",
)
COVERAGE_SECTION = "What is empty or left out, and why"
# The published metrics are rounded to 12 decimals.
METRIC_TOLERANCE = 1e-9
ALLOWED_NUMBERS = re.compile(
    r"stage[ -]?\d|v\d+\.\d+\.\d+|\d{4}-\d{2}-\d{2}|<[A-Z_]+_\d+>|\(1-5\)|\[[^\]]*\]\([^)]*\)",
    re.IGNORECASE,
)
LEFTOVER_SYNTAX = (
    "{{",
    "}}",
    "{%",
    "%}",
    "var(",
    "ref(",
    "source(",
    "int_",
    "stg_",
    "undocumented",
)


# A file as the caches below know it: its path and what changes when it is rewritten.
FileVersion = tuple[str, int, int, int]


def _version(path: Path) -> FileVersion:
    stat = path.stat()
    return str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size


def _rows(path: Path) -> tuple[dict, ...]:
    return _rows_of(_version(path))


@functools.lru_cache(maxsize=512)
def _rows_of(version: FileVersion) -> tuple[dict, ...]:
    """A Parquet file's rows, read once per version of the file: the card tests check one release
    many times, with one figure of its card changed each time. Read them, never change them."""
    return tuple(pq.read_table(version[0]).to_pylist())


def _precision(times: list) -> str:
    """The finest unit the timestamps carry: day when every one is at midnight."""
    times = [t for t in times if t is not None]
    if any(t.microsecond for t in times):
        return "sub-second"
    for unit, attribute in (("second", "second"), ("minute", "minute"), ("hour", "hour")):
        if any(getattr(t, attribute) for t in times):
            return unit
    return "day"


class PublishedRelease:
    """The release folder as a researcher downloads it."""

    def __init__(self, root: Path):
        self.root = root
        self.manifest = json.loads((root / "release.json").read_text())

    def split_files(self, config: str) -> dict[str, list[Path]]:
        return {
            split: sorted((self.root / "data" / config).glob(f"{split}-*.parquet"))
            for split in sorted(
                {p.name.split("-")[0] for p in (self.root / "data" / config).glob("*.parquet")}
            )
        }

    def rows(self, config: str) -> list[dict]:
        return [
            row for files in self.split_files(config).values() for f in files for row in _rows(f)
        ]

    def versions(self, config: str) -> tuple[FileVersion, ...]:
        return tuple(_version(f) for files in self.split_files(config).values() for f in files)

    def count(self, config: str, split: str) -> int:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.split_files(config)[split])

    def configs(self) -> list[str]:
        return sorted(p.name for p in (self.root / "data").iterdir())


def _body(card: str) -> str:
    return card.split("\n---\n", 1)[1] if card.startswith("---\n") else card


def _without_code(text: str) -> str:
    return re.sub(r"```.*?```", "", text, flags=re.DOTALL)


def sections(card: str) -> dict[str, str]:
    """Heading text -> the text under it (up to the next heading of any level)."""
    found: dict[str, str] = {}
    parts = re.split(r"^(#{2,4}) (.+)$", _without_code(_body(card)), flags=re.MULTILINE)
    for index in range(1, len(parts) - 1, 3):
        found[parts[index + 1].strip()] = parts[index + 2]
    return found


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the Markdown tables in a text, cells stripped of backticks."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|(\s*-+\s*\|)+$", line.replace("---", "-")):
            cells = [c.strip().strip("`").replace("\\|", "|") for c in line.strip("|").split(" | ")]
            rows.append([c.strip().strip("`") for c in cells])
    return [row for row in rows if row and not _is_header(row)]


def _is_header(row: list[str]) -> bool:
    return row[0] in {"config", "value", "stage", "metric", "entity type", "part", "field"}


class Checker:
    def __init__(self, card: str, release: PublishedRelease, warehouse: Path | None):
        self.card = card
        self.release = release
        self.warehouse = warehouse
        self.errors: list[str] = []
        self.verified: set[str] = set()
        self.sections = sections(card)

    def expect(self, what: str, shown: object, actual: object, line: str | None = None) -> None:
        if str(shown) != str(actual):
            self.errors.append(f"{what}: the card says {shown}, the data says {actual}")
        elif line is not None:
            self.verified.add(line)

    def _line_of(self, row: list[str]) -> str:
        return next(
            (
                line
                for line in self.card.splitlines()
                if line.startswith("|") and all(cell in line for cell in row)
            ),
            "",
        )

    def configs_table(self) -> None:
        summary = self.sections["Dataset summary"]
        shown_configs = []
        for row in table_rows(summary):
            config, splits = row[0], row[-1]
            shown_configs.append(config)
            for name, rows in re.findall(r"(\w+) (\d+)", splits):
                self.expect(f"rows of {config}/{name}", rows, self.release.count(config, name))
            self.verified.add(self._line_of(row))
        self.expect("configs", sorted(shown_configs), self.release.configs())

    def users(self) -> None:
        summary = self.sections["Dataset summary"]
        users = self.release.rows("users")
        kinds = Counter(u["source_kind"] for u in users)
        match = re.search(r"This release holds (\d+) users:([^.]*)\.", summary)
        self.expect("users in the release", match and match.group(1), len(users))
        for count, kind in re.findall(r"(\d+) (\w+)", match.group(2) if match else ""):
            self.expect(f"users of kind {kind}", count, kinds[kind])
        if match:
            self.verified.add(match.group(0))
        split_users = {
            split: len({row["user_id"] for f in files for row in _rows(f)})
            for split, files in self.release.split_files("users").items()
        }
        total = sum(split_users.values())
        line = re.search(r"(\d+) users are split\n(.+)\n", summary)
        self.expect("users split", line and line.group(1), total)
        for split, count, share in re.findall(
            r"(\w+) (\d+) \(([\d.]+)%\)", line.group(2) if line else ""
        ):
            self.expect(f"users in {split}", count, split_users[split])
            self.expect(
                f"share of users in {split}", share, f"{split_users[split] / total:.1%}"[:-1]
            )
        if line:
            self.verified.add(line.group(0))
        ratios = self.release.manifest["splits"]["ratios"]
        targets = re.search(r"\(targets (.+)\)\.", summary)
        for split, share in re.findall(r"(\w+) (\d+)%", targets.group(1) if targets else ""):
            self.expect(f"target share of {split}", share, f"{ratios[split] * 100:.0f}")
        if targets:
            self.verified.add(targets.group(0))

    def data_dictionary(self) -> None:
        for heading, text in self.sections.items():
            field = re.fullmatch(r"`(\w+)\.([\w\[\].]+)`", heading)
            if not field:
                continue
            config, path = field.groups()
            column, _, inner = path.partition("[].")
            values: Counter = Counter()
            for row in self.release.rows(config):
                cells = (row[column] or []) if inner else [row[column]]
                for cell in cells:
                    value = cell[inner] if inner else cell
                    if value is not None:
                        values[str(value).lower() if isinstance(value, bool) else str(value)] += 1
            shown = {}
            for row in table_rows(text):
                shown[row[0]] = row[-1]
                self.expect(
                    f"count of {config}.{path} = {row[0]}",
                    row[-1],
                    values[row[0]],
                    self._line_of(row),
                )
            missing = sorted(set(values) - set(shown))
            if missing:
                self.errors.append(f"{config}.{path}: values {missing} are not in the dictionary")

    def annotators(self) -> None:
        judged = {
            ("stage 1", "human"): ("stage1_attributes", "human_labels", "annotator_id"),
            ("stage 2", "human"): ("stage2_relevance", "human_labels", "annotator_id"),
            ("stage 2", "llm"): ("stage2_relevance", "llm_labels", "judge"),
            ("stage 3", "human"): ("stage3_preferences", "human_ratings", "annotator_id"),
            ("stage 3", "llm"): ("stage3_preferences", "llm_ratings", "judge"),
        }
        for row in table_rows(self.sections["Annotators"]):
            config, column, judge = judged[(row[0], row[1])]
            labels = [label for r in self.release.rows(config) for label in r[column] or []]
            items = sum(1 for r in self.release.rows(config) if r[column])
            line = self._line_of(row)
            self.expect(f"{row[0]} {row[1]} judges", row[2], len({x[judge] for x in labels}), line)
            self.expect(f"{row[0]} {row[1]} judgments", row[3], len(labels), line)
            self.expect(f"{row[0]} {row[1]} items", row[4], items, line)

    def metrics(self) -> None:
        published = {
            (r["stage"], r["metric"], r["subject"]): r for r in self.release.rows("metrics")
        }
        text = self.sections["Metrics of this release"]
        shown = set()
        for row in table_rows(text):
            key = (row[0], row[1], row[2])
            shown.add(key)
            actual = published.get(key)
            if actual is None:
                self.errors.append(f"metric {key} is not in the published metrics")
                continue
            value = "" if actual["value"] is None else f"{actual['value']:.4g}"
            line = self._line_of(row)
            self.expect(f"metric {key} value", row[3], value, line)
            n = "" if actual["n"] is None else actual["n"]
            self.expect(f"metric {key} n", row[4], n, line)
        self.expect("metrics shown", len(shown), len(published))
        defined = {row[0] for row in table_rows(self.sections.get("Metric definitions", ""))}
        self.expect("metric definitions", sorted(defined), sorted({k[1] for k in published}))

    def metrics_recomputed(self) -> None:
        """Every published figure of stages 1 to 3 but the retrieval baselines (recomputed in
        tests/baselines) and the paper's reference figures equals the same figure recomputed with
        scikit-learn, SciPy and krippendorff from the published per-user configs alone: the
        withheld users' judgments are in neither."""
        published = {
            (r["stage"], r["metric"], r["subject"]): (r["value"], r["n"])
            for r in self.release.rows("metrics")
            if r["stage"] != "study" and not r["metric"].startswith(("baseline_", "paper_"))
        }
        recomputed = _recomputed_figures(
            *(
                self.release.versions(config)
                for config in ("stage1_attributes", "stage2_relevance", "stage3_preferences")
            )
        )
        self.expect(
            "figures published but not recomputable from the per-user configs",
            sorted(published.keys() - recomputed.keys()),
            [],
        )
        self.expect(
            "figures recomputed from the per-user configs but not published",
            sorted(recomputed.keys() - published.keys()),
            [],
        )
        for key in sorted(published.keys() & recomputed.keys()):
            (value, n), (expected, expected_n) = published[key], recomputed[key]
            same = (
                math.isnan(expected)
                if value is None or math.isnan(value)
                else not math.isnan(expected) and abs(value - expected) <= METRIC_TOLERANCE
            )
            if not same or n != expected_n:
                self.errors.append(
                    f"metric {key}: published {value} (n {n}), recomputed from the published "
                    f"per-user configs {expected} (n {expected_n})"
                )

    def privacy(self) -> None:
        text = self.sections["Personal data"]
        config = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
        replaced = re.search(r"\*\*Replaced\*\*(.+?)\n- \*\*", text, flags=re.DOTALL)
        kept = re.search(r"\*\*Kept\*\*(.+?)\n- \*\*", text, flags=re.DOTALL)
        hashed = re.search(r"\*\*Hashed\*\*(.+?)\n- \*\*", text, flags=re.DOTALL)
        self.expect(
            "replaced entity types",
            sorted(re.findall(r"`([A-Z_]+)`", replaced.group(1) if replaced else "")),
            sorted(config["entities"]),
        )
        self.expect(
            "kept entity types",
            sorted(re.findall(r"^  - `([A-Z_]+)`", kept.group(1) if kept else "", re.MULTILINE)),
            sorted(config["kept"]),
        )
        figures = re.search(r"names of the (\d+) public figures", text)
        self.expect(
            "public figures kept", figures and figures.group(1), len(config["public_figures"])
        )
        if figures:
            self.verified.add(figures.group(0))
        self.expect(
            "hashed columns",
            sorted(re.findall(r"`([\w.]+)`", hashed.group(1) if hashed else "")),
            sorted(f"{t.name}.{c}" for t in TABLES.values() for c in t.identifier_columns),
        )
        quasi = re.search(r"\*\*Quasi-identifiers\*\*(.+?)\n- \*\*", text, flags=re.DOTALL)
        self.expect(
            "quasi-identifiers replaced",
            sorted(re.findall(r"^  - `([A-Z_]+)`", quasi.group(1) if quasi else "", re.MULTILINE)),
            sorted(set(config.get("quasi_identifiers") or {}) & set(config["entities"])),
        )
        self.reidentification(text)
        precision = re.search(r"`conversations.started_at` is published to the (\w+)", text)
        self.expect(
            "started_at precision",
            precision and precision.group(1),
            _precision([r["started_at"] for r in self.release.rows("conversations")]),
        )
        if self.warehouse is not None:
            with duckdb.connect(str(self.warehouse), read_only=True) as conn:
                audit = {
                    (entity, field): str(n)
                    for entity, field, n in conn.execute(
                        "select entity_type, table_name || '.' || field, sum(findings) "
                        "from private.pii_audit group by all"
                    ).fetchall()
                }
            shown = {(row[0], row[1]): row for row in table_rows(text)}
            for key in sorted(set(shown) | set(audit)):
                self.expect(
                    f"scrub findings of {key[0]} in {key[1]}",
                    shown[key][2] if key in shown else None,
                    audit.get(key),
                    self._line_of(shown[key]) if key in shown else None,
                )

    def _drop_counts(self) -> dict[str, dict[str, int]]:
        """What the drops hold per stage, counted in the warehouse's staging tables."""
        if self.warehouse is None:
            return {}
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:

            def one(query: str) -> int:
                return conn.execute(query).fetchone()[0]

            return {
                "stage1_attributes": {"in_drops": one("select count(*) from stg_attributes")},
                "stage2_relevance": {
                    "in_drops": one(
                        "select count(*) from (select distinct attribute_id, prompt_id "
                        "from stg_stage2_judgments)"
                    )
                },
                "stage3_preferences": {
                    "in_drops": one("select count(*) from stg_stage3_items"),
                    "ratings_in_drops": one("select count(*) from stg_stage3_ratings"),
                },
            }

    def coverage(self) -> None:
        """Each "empty or left out" sentence: the card says release.json's text, and its
        figures hold: published rows against the Parquet files, users against the published
        metrics, what the drops hold against the warehouse; every number of the sentence is
        one of its figures, a difference of two, or a threshold of the study."""
        reasons = self.release.manifest.get("coverage") or []
        text = self.sections.get(COVERAGE_SECTION, "")
        if not reasons:
            if text.strip():
                self.errors.append("the card explains coverage that release.json lacks")
            return
        shown = text.splitlines()
        metrics = {(r["stage"], r["metric"], r["subject"]): r for r in self.release.rows("metrics")}
        in_drops = self._drop_counts()
        thresholds = {int(v) for v in dbt_vars().values() if isinstance(v, int)}
        for reason in reasons:
            line, figures = f"- {reason['text']}", reason["figures"]
            what = f"coverage of {reason['scope']} {reason['subject']}"
            if line not in shown:
                self.errors.append(f"{what}: the card does not say {reason['text']!r}")
                continue
            if reason["scope"].startswith("stage"):
                config = reason["subject"]
                rows = self.release.rows(config) if config in self.release.configs() else []
                self.expect(f"{what}: rows published", figures["published"], len(rows))
                if "with_human_labels" in figures and figures["in_study"] == len(rows):
                    labelled = sum(1 for row in rows if row["n_human_labels"])
                    self.expect(f"{what}: labelled", figures["with_human_labels"], labelled)
                for name, count in in_drops.get(config, {}).items():
                    self.expect(f"{what}: {name}", figures[name], count)
            elif ("study", "users_excluded", reason["subject"]) in metrics:
                metric = metrics[("study", "users_excluded", reason["subject"])]
                self.expect(f"{what}: users", figures["users"], int(metric["value"]))
            else:
                metric = metrics[("study", "users_in_study", reason["subject"])]
                self.expect(f"{what}: in the study", figures["in_study"], int(metric["value"]))
                self.expect(f"{what}: users", figures["users"], metric["n"])
            values = set(figures.values())
            allowed = values | {a - b for a in values for b in values} | thresholds
            numbers = re.findall(r"\d[\d,]*", ALLOWED_NUMBERS.sub("", reason["text"]))
            stray = [n for n in numbers if int(n.replace(",", "")) not in allowed]
            if stray:
                self.errors.append(f"{what}: {stray} are none of its figures ({figures})")
            else:
                self.verified.add(line)

    def _published_columns(self, config: str, wanted: list[str]) -> dict[str, list]:
        """The given columns of a config, those its files have, read column by column."""
        files = [f for fs in self.release.split_files(config).values() for f in fs]
        names = set(pq.read_schema(files[0]).names) if files else set()
        columns: dict[str, list] = {name: [] for name in wanted if name in names}
        for path in files:
            table = pq.read_table(path, columns=list(columns))
            for name in columns:
                columns[name] += table.column(name).to_pylist()
        return columns

    def reidentification(self, text: str) -> None:
        """The smallest group of real users sharing every published quasi-identifier, grouped
        again here in Python from the Parquet files; the users withheld, against the warehouse."""
        line = re.search(
            r"\*\*Re-identification\*\*: .*?holds\s+(\d+) users \(required: at least (\d+)\)\."
            r"\s+(?:(\d+) users in smaller groups are\s+withheld from every per-user config and"
            r"\s+left out of the `metrics` config: its agreement and quality\s+figures are "
            r"recomputed exactly from the published per-user configs\."
            r"|No user had to be withheld\.)",
            text,
            flags=re.DOTALL,
        )
        if line is None:
            self.errors.append("the card does not say the smallest group of users")
            return
        users = self._published_columns(
            "users", ["user_id", "country", "state", "sources", "source_kind", "n_conversations"]
        )
        per_conversation = self._published_columns(
            "conversations", ["user_id", "country", "state", "language"]
        )
        seen: dict[str, dict[str, set]] = {}
        for index, user in enumerate(per_conversation.get("user_id", [])):
            for name, values in per_conversation.items():
                seen.setdefault(user, {}).setdefault(name, set()).add(values[index] or "")

        def band(n: int | None) -> str:
            return (
                ""
                if n is None
                else str(max((low for low in CONVERSATION_BANDS if low <= n), default=0))
            )

        kinds = users.get("source_kind") or [None] * len(users["user_id"])
        groups: Counter = Counter()
        for index, user in enumerate(users["user_id"]):
            if kinds[index] == "synthetic":
                continue
            groups[
                (
                    *(str(users[c][index]) for c in ("country", "state") if c in users),
                    *(
                        tuple(sorted(seen.get(user, {}).get(c, set())))
                        for c in ("country", "state", "language")
                        if c in per_conversation
                    ),
                    tuple(sorted(users["sources"][index] or [])) if "sources" in users else (),
                    kinds[index],
                    band(users["n_conversations"][index]) if "n_conversations" in users else "",
                )
            ] += 1
        self.expect("smallest group of users", line.group(1), min(groups.values(), default=None))
        self.expect("k of the release", line.group(2), settings.release_min_k())
        if self.warehouse is not None:
            with duckdb.connect(str(self.warehouse), read_only=True) as conn:
                (in_study,) = conn.execute(
                    "select count(*) from main.users where source_kind is distinct from 'synthetic'"
                ).fetchone()
            self.expect("users withheld", line.group(3) or 0, in_study - sum(groups.values()))
        self.verified.add(line.group(0))

    def leftovers(self) -> None:
        for syntax in LEFTOVER_SYNTAX:
            if syntax in _body(self.card):
                self.errors.append(f"template or dbt syntax survives in the card: {syntax!r}")
        for name in CHECKED_SECTIONS:
            text = self.sections.get(name, "")
            for span in sorted(filter(None, self.verified), key=len, reverse=True):
                text = text.replace(span, "")
            for line in text.splitlines():
                numbers = re.findall(r"\d[\d.,]*", ALLOWED_NUMBERS.sub("", line))
                if numbers:
                    self.errors.append(f"unverified figures {numbers} in {name!r}: {line.strip()}")

    def run(self) -> list[str]:
        for check in (
            self.configs_table,
            self.users,
            self.data_dictionary,
            self.annotators,
            self.metrics,
            self.metrics_recomputed,
            self.privacy,
            self.coverage,
            self.leftovers,
        ):
            try:
                check()
            except (KeyError, AttributeError, IndexError) as error:
                self.errors.append(
                    f"{check.__name__}: the card lacks what it should say ({error!r})"
                )
        return self.errors


@functools.lru_cache(maxsize=32)
def _recomputed_figures(*configs: tuple[FileVersion, ...]) -> dict:
    """Stages 1 to 3's figures recomputed from the files of their per-user configs, once per
    version of those files."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn and SciPy warn on undefined figures
        recomputed, _ = model_reference.stage_figures(
            *model_reference.published_judgments(
                *([row for version in files for row in _rows_of(version)] for files in configs)
            )
        )
    return recomputed


def claim_errors(card: str, release_dir: Path, warehouse: Path | None = None) -> list[str]:
    return Checker(card, PublishedRelease(release_dir), warehouse).run()
