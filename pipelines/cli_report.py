"""What `pipelines run` says at the end: a line per drop, the rows and the quarantine, why a
stage or a population is empty or left out, and the release."""

from __future__ import annotations

from pipelines import settings


def drop_line(instance, run_id: str, drop_id: str, seconds: float) -> str:
    """What a drop's run did: export lines landed and quarantined, the scrub's time and the whole
    run's."""
    import duckdb

    with duckdb.connect(
        str(settings.duckdb_path()), read_only=True, config=settings.duckdb_config()
    ) as conn:
        landed, quarantined = conn.execute(
            "select sum(rows_landed), sum(rows_quarantined) from raw.ingested_files "
            "where _drop_id = ?",
            [drop_id],
        ).fetchone()
    steps = {stats.step_key: stats for stats in instance.get_run_step_stats(run_id)}
    scrub = steps["scrubbed_tables"]
    return (
        f"drop {drop_id}: ingested {landed} lines ({quarantined} quarantined), scrubbed in "
        f"{scrub.end_time - scrub.start_time:.0f} s; {seconds:.0f} s in all"
    )


def release_summary(instance) -> str:
    """Where the release went, its version, and the line a researcher types to load it."""
    import dagster as dg

    from pipelines.release.publish import EXAMPLE_CONFIG

    event = instance.get_latest_materialization_event(dg.AssetKey("dataset_release"))
    if event is None or event.asset_materialization is None:
        return "No release was cut."
    metadata = event.asset_materialization.metadata
    path = metadata["path"].value
    lines = [
        f"\nRelease {metadata['version'].value} "
        f"({'published' if metadata['published'].value else 'unchanged, nothing published'})",
        f"  path: {path}",
        f"  load it with: {metadata['load_command'].value}",
    ]
    if not str(path).startswith("http"):
        # The local repo's working tree is checked out at its newest release.
        lines.append(
            f'  or, newest release, in Python: datasets.load_dataset("{path}", "{EXAMPLE_CONFIG}")'
        )
    return "\n".join(lines)


# How many files with quarantined rows the summary names; the log names every file.
_QUARANTINED_FILES_SHOWN = 5


def summary(conn) -> str:
    """Rows landed and lines quarantined in all, and the files with the most quarantined lines:
    what a maintainer checks first."""
    from pipelines.contract.tables import TABLES

    files = conn.execute(
        "select _drop_id, _file, rows_read, rows_landed, rows_quarantined "
        "from raw.ingested_files order by rows_quarantined desc, 1, 2"
    ).fetchall()
    rows = sum(conn.execute(f"select count(*) from raw.{name}").fetchone()[0] for name in TABLES)
    lines_landed = sum(row[3] for row in files)
    quarantined = conn.execute("select count(*) from raw.quarantine").fetchone()[0]
    lines = [
        f"Rows: {rows} in {len(TABLES)} raw tables, from {lines_landed} lines of {len(files)} "
        f"files; {quarantined} lines quarantined (raw.quarantine; per table and file: the log)"
    ]
    shown = [row for row in files if row[4]][:_QUARANTINED_FILES_SHOWN]
    for drop_id, file, read, _, rows_quarantined in shown:
        lines.append(f"  {drop_id}/{file}: {rows_quarantined} of {read} quarantined")
    return "\n".join(lines)


def tables_report(conn) -> str:
    """Rows per raw table and rows read, landed and quarantined per file."""
    from pipelines.contract.tables import TABLES

    lines = ["Raw tables (rows):"]
    for name in TABLES:
        count = conn.execute(f"select count(*) from raw.{name}").fetchone()[0]
        lines.append(f"  raw.{name:<20} {count:>8}")
    lines.append("Ingested files (read / landed / quarantined):")
    for drop_id, file, read, landed, quarantined in conn.execute(
        "select _drop_id, _file, rows_read, rows_landed, rows_quarantined "
        "from raw.ingested_files order by 1, 2"
    ).fetchall():
        lines.append(f"  {drop_id}/{file:<28} {read:>8} {landed:>8} {quarantined:>8}")
    total = conn.execute("select count(*) from raw.quarantine").fetchone()[0]
    lines.append(f"Rows quarantined in all: {total}")
    return "\n".join(lines)


def _published_rows(instance) -> dict[str, int] | None:
    """Rows per config of the newest release when it is a local folder (its release.json)."""
    import json
    from pathlib import Path

    import dagster as dg

    event = instance.get_latest_materialization_event(dg.AssetKey("dataset_release"))
    if event is None or event.asset_materialization is None:
        return None
    manifest = Path(str(event.asset_materialization.metadata["path"].value)) / "release.json"
    if not manifest.is_file():
        return None
    configs = json.loads(manifest.read_text(encoding="utf-8"))["configs"]
    return {
        name: sum(split["rows"] for split in config["splits"].values())
        for name, config in configs.items()
    }


def coverage_report(conn, instance) -> str:
    """Per stage and per population of users, why something is empty or left out (the card
    says the same under "What is empty or left out, and why")."""
    from pipelines.release.coverage import coverage

    reasons = coverage(conn, _published_rows(instance))
    if not reasons:
        return "Stages and users: the models are not built, nothing to count"
    return "Why a stage or a population is empty or left out:\n" + "\n".join(
        f"  {reason.text}" for reason in reasons
    )
