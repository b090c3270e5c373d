"""Stage a release: split, export, compare with the previous release, version, card.

`plan_release` writes the complete release tree into a staging folder and decides its version;
a target then publishes that folder as one commit plus a tag. When nothing changed since the
previous release the plan has no version and publishing it is a no-op.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from huggingface_hub import DatasetCard

from pipelines import settings
from pipelines.contract.warehouse import relation_exists
from pipelines.release import datasheet, figures, k_anonymity, versioning
from pipelines.release.card import (
    CardConfig,
    Table,
    field_descriptions,
    load_metadata,
    render_card,
    undocumented_fields,
)
from pipelines.release.configs import CONFIGS, USER_COLUMN, ReleaseConfig
from pipelines.release.coverage import coverage
from pipelines.release.croissant import render_croissant
from pipelines.release.export import SPLIT_RELATION, export_config, rows_added_removed
from pipelines.release.splits import SplitAssignment, assign_shards, assign_splits

MANIFEST = "release.json"
SPLITS_FILE = "splits.json"
CARD = "README.md"
CROISSANT = "croissant.json"
# Which files git keeps in LFS: the lines of the Hub's default dataset .gitattributes for Parquet
# and images, so that the dataset repo pushes to the Hub as it is.
GITATTRIBUTES = ".gitattributes"
LFS_PATTERNS = ("*.parquet", "*.png", "*.jpg")
# What the privacy stage found and replaced: counts per drop, table, field and entity type.
AUDIT_RELATION = "private.pii_audit"


@dataclass
class ReleaseOptions:
    repo_id: str
    repo_url: str
    date: str
    seed: str = field(default_factory=settings.split_seed)
    ratios: dict[str, float] = field(default_factory=settings.split_ratios)
    configs: tuple[ReleaseConfig, ...] = CONFIGS
    marts_dir: Path = settings.DBT_PROJECT_DIR / "models" / "marts"
    datacard_dir: Path = settings.DATACARD_DIR
    files_on_hub: bool = False
    """croissant.json names each file by its Hub download URL at the release tag (a Hub target),
    else by its path in the release tree."""
    full: bool = field(default_factory=settings.full_rebuild)
    """Export every shard, even those whose rows are unchanged since the previous release (the
    same bytes), and leak-scan every file."""


@dataclass
class ReleasePlan:
    """A staged release and what publishing it would change."""

    staging: Path
    previous_version: str | None
    change: str | None
    version: str | None
    manifest: dict[str, Any]
    changes: dict[str, versioning.ConfigChange]
    assignment: SplitAssignment
    undocumented: list[str]
    figures: list[figures.Figure] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    """Files exported by this plan; the others are the previous release's, copied unchanged."""

    @property
    def is_noop(self) -> bool:
        return self.version is None

    def rows(self) -> dict[str, dict[str, int]]:
        return {
            name: {split: info["rows"] for split, info in config["splits"].items()}
            for name, config in self.manifest["configs"].items()
        }

    def describe(self) -> str:
        """What publishing this plan changes, for the dry run and the run log."""
        if self.is_noop:
            return f"No change since v{self.previous_version}: nothing to publish."
        entry = self.manifest["changelog"][0]
        lines = [
            f"Release v{self.version} ({self.change}; previous: "
            f"{'v' + self.previous_version if self.previous_version else 'none'})",
            entry["summary"],
        ]
        for name, change in entry["configs"].items():
            lines.append(
                f"  {name:<20} +{change.get('added', 0)} -{change.get('removed', 0)} rows"
                + (f"  {change['schema']}" if change.get("schema") else "")
            )
        kept = sum(
            len(s["files"]) for c in self.manifest["configs"].values() for s in c["splits"].values()
        ) - len(self.written)
        lines.append(
            f"Files: {len(self.written)} exported, {kept} unchanged since the previous release"
        )
        lines.append(
            "Splits (users): "
            + ", ".join(
                f"{s} {n} ({self.manifest['splits']['realized'][s]:.1%})"
                for s, n in self.manifest["splits"]["counts"].items()
            )
        )
        return "\n".join(lines)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _check_marts(conn: duckdb.DuckDBPyConnection, configs: tuple[ReleaseConfig, ...]) -> None:
    present = {
        name
        for (name,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
        ).fetchall()
    }
    missing = sorted({c.table for c in configs} - present)
    if missing:
        raise LookupError(
            f"the release needs the marts {missing} in schema main of the warehouse; "
            "build the dbt models first"
        )


def releasable_users(
    conn: duckdb.DuckDBPyConnection,
    configs: tuple[ReleaseConfig, ...],
    below_k_policy: str | None = None,
) -> tuple[list[str], frozenset[str]]:
    """The users of the per-user marts a release splits, and those it withholds because they are
    alone, or nearly, in their published quasi-identifiers (`k_anonymity.withheld_users`)."""
    withheld = k_anonymity.withheld_users(k_anonymity.assess_warehouse(conn), below_k_policy)
    union = " union ".join(
        f'select "{USER_COLUMN}" from main."{c.table}"' for c in configs if c.per_user
    )
    users = [
        user
        for (user,) in conn.execute(union).fetchall()
        if user is not None and user not in withheld
    ]
    return users, withheld


def _table(conn: duckdb.DuckDBPyConnection, query: str) -> Table:
    result = conn.execute(query)
    return Table([d[0] for d in result.description], [list(row) for row in result.fetchall()])


def _audit(conn: duckdb.DuckDBPyConnection) -> Table:
    """Findings per entity type and field over every scrubbed drop (counts only, no values)."""
    if not relation_exists(conn, AUDIT_RELATION):
        return Table()
    return _table(
        conn,
        "select entity_type as \"entity type\", table_name || '.' || field as field, "
        f"sum(findings)::bigint as findings from {AUDIT_RELATION} group by all order by all",
    )


def _config_changes(
    new: dict[str, Any],
    old: dict[str, Any] | None,
    staging: Path,
    previous: Path | None,
    reused: set[str],
) -> dict[str, versioning.ConfigChange]:
    """Per config: rows added and removed (by row content) and columns added, removed, retyped.
    Files copied unchanged from the previous release (`reused`) are on both sides: left out."""
    old_configs = (old or {}).get("configs", {})
    changes = {}
    for name, config in new.items():
        before = old_configs.get(name)
        if before is None:
            change = versioning.ConfigChange(config_added=bool(old))
            old_files: list[Path] = []
        else:
            change = versioning.schema_change(before["columns"], config["columns"])
            old_files = [
                previous / f["path"]
                for s in before["splits"].values()
                for f in s["files"]
                if f["path"] not in reused
            ]
        new_files = [
            staging / f["path"]
            for s in config["splits"].values()
            for f in s["files"]
            if f["path"] not in reused
        ]
        unchanged = (
            before is not None
            and all(
                before["splits"].get(split, {}).get("content_sha256") == info["content_sha256"]
                for split, info in config["splits"].items()
            )
            and set(before["splits"]) == set(config["splits"])
        )
        if not unchanged:
            change.added, change.removed = rows_added_removed(new_files, old_files)
        changes[name] = change
    for name, before in old_configs.items():
        if name not in new:
            changes[name] = versioning.ConfigChange(
                config_removed=True,
                removed=sum(s["rows"] for s in before["splits"].values()),
            )
    return changes


def _changelog_entry(
    version: str, date: str, change: str, changes: dict[str, versioning.ConfigChange]
) -> dict[str, Any]:
    summary = {
        "initial": "First release.",
        "major": "Breaking change: a config or column was removed or changed type.",
        "minor": "Data changed: rows, columns or configs were added or updated.",
        "patch": "Dataset card only: no rows added or removed.",
    }[change]
    configs = {}
    for name, c in sorted(changes.items()):
        notes = []
        if c.config_added:
            notes.append("new config")
        if c.config_removed:
            notes.append("config removed")
        for label, columns in (
            ("added", c.columns_added),
            ("removed", c.columns_removed),
            ("retyped", c.columns_retyped),
        ):
            if columns:
                notes.append(f"columns {label}: {', '.join(columns)}")
        configs[name] = {"added": c.added, "removed": c.removed, "schema": "; ".join(notes)}
    return {
        "version": version,
        "date": date,
        "change": change,
        "summary": summary,
        "configs": configs,
    }


def plan_release(
    conn: duckdb.DuckDBPyConnection,
    staging: Path,
    previous: Path | None,
    options: ReleaseOptions,
) -> ReleasePlan:
    """Stage the release from the warehouse into `staging`, compared with `previous`'s tree."""
    _check_marts(conn, options.configs)
    old = _read_json(previous / MANIFEST) if previous else None
    old_assignment = (_read_json(previous / SPLITS_FILE) or {}) if previous else {}
    old_splits = old_assignment.get("users")
    previous_version = old["version"] if old else None

    # Users alone, or nearly, in their published quasi-identifiers are withheld (or the release
    # stops, as the policy says) before any file is written.
    users, withheld = releasable_users(conn, options.configs)
    # The `metrics` mart must leave out exactly these users, so that it is recomputed from the
    # per-user configs this release publishes.
    if any(config.table == "metrics" for config in options.configs):
        k_anonymity.check_metrics_scope(conn, withheld)
    assignment = assign_splits(
        users,
        options.ratios,
        options.seed,
        old_splits,
    )
    shards = assign_shards(assignment.users, options.seed, old_assignment.get("shards"))
    conn.register(
        SPLIT_RELATION,
        pa.table(
            {
                "user_id": list(assignment.users),
                "split": list(assignment.users.values()),
                "shard": [shards[user] for user in assignment.users],
            },
            schema=pa.schema(
                [("user_id", pa.string()), ("split", pa.string()), ("shard", pa.int64())]
            ),
        ),
    )
    splits = [s for s, share in options.ratios.items() if share > 0]
    configs: dict[str, dict[str, Any]] = {}
    card_configs = []
    written: list[str] = []
    reused: set[str] = set()
    try:
        for config in options.configs:
            before = (old or {}).get("configs", {}).get(config.name)
            exported = export_config(
                conn,
                config,
                splits,
                staging,
                previous_dir=previous,
                previous_files=None
                if options.full or before is None
                else [f for s in before["splits"].values() for f in s["files"]],
            )
            written += exported.written
            reused.update(exported.reused)
            schema = exported.schema
            configs[config.name] = {
                "table": config.table,
                "per_user": config.per_user,
                "columns": {f.name: str(f.type) for f in schema},
                "splits": {
                    split: {
                        "rows": files.rows,
                        "num_bytes": files.num_bytes,
                        "download_size": sum(f["size"] for f in files.files),
                        "files": files.files,
                        "content_sha256": files.content_sha256(schema),
                    }
                    for split, files in exported.splits.items()
                },
            }
            card_configs.append(
                CardConfig(config.name, config.summary, schema, configs[config.name]["splits"])
            )
        audit = _audit(conn)
    finally:
        conn.unregister(SPLIT_RELATION)

    changes = _config_changes(configs, old, staging, previous, reused)
    change = versioning.change_kind(previous_version, changes)
    metadata = load_metadata(options.datacard_dir)
    descriptions = field_descriptions(options.marts_dir)
    staged = datasheet.Staged(
        files={
            name: [staging / f["path"] for s in config["splits"].values() for f in s["files"]]
            for name, config in configs.items()
        },
        columns={name: set(config["columns"]) for name, config in configs.items()},
    )
    split_summary = {
        "ratios": assignment.ratios,
        "counts": assignment.counts(),
        "realized": assignment.realized(),
        "users_total": len(assignment.users),
    }
    with duckdb.connect(config=settings.duckdb_config()) as local:
        metrics_source = staged.source("metrics") if "metrics" in staged.files else ""
        metrics = (
            _table(local, f"select * from {metrics_source} order by all")
            if metrics_source
            else Table()
        )
        metric_names = sorted({row[metrics.columns.index("metric")] for row in metrics.rows})
        sheet = datasheet.collect(local, metadata, staged, metric_names, audit)
        reasons = [
            reason.as_dict()
            for reason in coverage(
                conn,
                {n: sum(s["rows"] for s in c["splits"].values()) for n, c in configs.items()},
            )
        ]
        sheet["coverage"] = reasons
        sheet["reidentification"] = k_anonymity.summary(
            k_anonymity.assess_staged(local, staged), len(withheld)
        )
        sheet["figures"] = figures.draw(
            local,
            staging,
            staged,
            {name: {s: i["rows"] for s, i in c["splits"].items()} for name, c in configs.items()},
            split_summary["counts"],
            sheet["dictionary"],
            int(datasheet.dbt_vars()["kappa_min_shared_items"]),
        )
    previous_card = (
        DatasetCard.load(previous / CARD).data if previous and (previous / CARD).is_file() else None
    )

    def render(version: str, date: str, changelog: list[dict[str, Any]]) -> tuple[str, str]:
        card = render_card(
            metadata=metadata,
            configs=card_configs,
            descriptions=descriptions,
            version=version,
            date=date,
            repo_id=options.repo_id,
            splits=split_summary,
            metrics=metrics,
            datasheet=sheet,
            changelog=changelog,
            previous=previous_card,
            datacard_dir=options.datacard_dir,
        )
        croissant = render_croissant(
            metadata=metadata,
            configs=card_configs,
            tables={c.name: c.table for c in options.configs},
            descriptions=descriptions,
            marts_dir=options.marts_dir,
            version=version,
            date=date,
            repo_url=options.repo_url,
            files_on_hub=options.files_on_hub,
        )
        return card, croissant

    if change is None:
        card, croissant = render(old["version"], old["date"], old["changelog"])
        if card == (previous / CARD).read_text(encoding="utf-8") and croissant == (
            previous / CROISSANT
        ).read_text(encoding="utf-8"):
            return ReleasePlan(
                staging,
                previous_version,
                None,
                None,
                old,
                changes,
                assignment,
                undocumented_fields(card_configs, descriptions),
                sheet["figures"],
                written,
            )
        change = "patch"

    version = versioning.bump(previous_version, change)
    changelog = [
        _changelog_entry(version, options.date, change, changes),
        *(old or {}).get("changelog", []),
    ]
    card, croissant = render(version, options.date, changelog)
    (staging / CARD).write_text(card, encoding="utf-8")
    (staging / CROISSANT).write_text(croissant, encoding="utf-8")
    (staging / GITATTRIBUTES).write_text(
        "".join(f"{pattern} filter=lfs diff=lfs merge=lfs -text\n" for pattern in LFS_PATTERNS),
        encoding="utf-8",
    )
    _write_json(staging / SPLITS_FILE, {"users": assignment.users, "shards": shards})
    manifest = {
        "version": version,
        "date": options.date,
        "content_sha256": versioning.content_sha256(configs),
        "configs": configs,
        "splits": split_summary,
        "coverage": reasons,
        "changelog": changelog,
    }
    _write_json(staging / MANIFEST, manifest)
    return ReleasePlan(
        staging,
        previous_version,
        change,
        version,
        manifest,
        changes,
        assignment,
        undocumented_fields(card_configs, descriptions),
        sheet["figures"],
        written,
    )
