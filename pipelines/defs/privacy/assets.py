"""Privacy: one run per drop scrubs its raw rows into the schema `scrubbed`, or writes nothing.

The residual-leak scan runs inside the asset, on the rows just written and before they commit, and
is reported as one blocking asset check per table: when it fails, the transaction is rolled back,
the checks fail, the run fails, and nothing downstream (models, release) can use the drop.
"""

import warnings
from collections import Counter
from contextlib import closing
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import settings
from pipelines.contract.tables import TABLES
from pipelines.defs.ingest.assets import RAW_TABLE_KEYS, hash_key_or_failure
from pipelines.defs.partitions import drop_partitions
from pipelines.privacy.audit import load_planted, summarize
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.scrub import LeakFound, ScrubRecordError, ScrubReport, scrub_drop
from pipelines.privacy.warehouse_key import HashKeyMismatch, claim_warehouse_key
from pipelines.resources import ScrubCluster
from pipelines.text_format import markdown_table

SCRUBBED_TABLE_KEYS = {name: dg.AssetKey(["scrubbed", name]) for name in TABLES}
LEAK_CHECK = "no_residual_personal_data"


class ScrubConfig(dg.Config):
    workers: int = 0
    """Worker processes of the local cluster that runs NER and the recognizers: 0 one per core,
    started once the drop's new text passes PIPELINES_SCRUB_IN_PROCESS_CHARS; 1 none (the step's
    own process). Unused when PIPELINES_SCRUB_CLUSTER names a cluster."""
    config_path: str = ""
    """A scrubber.yaml other than the bundled one (absolute, or relative to the project root)."""
    pii_manifest: str = ""
    """A ground-truth manifest of the values planted in the drop (a generated sample's answer key),
    handed over by the caller: the leak scan looks for each of them too. None by default."""


def _description(name: str) -> str:
    table = TABLES[name]
    parts = [f"`{name}` of every drop with personal data removed."]
    if table.text_columns:
        parts.append(
            f"Free text ({', '.join(table.text_columns)}) scrubbed with Presidio into "
            "numbered placeholders, consistent within a user's history."
        )
    if table.identifier_columns:
        parts.append(
            f"Identifiers ({', '.join(table.identifier_columns)}) keyed-hashed, "
            "reduced to what is not personal (a header to its client kind) or dropped."
        )
    return " ".join(parts)


def _audit_markdown(report: ScrubReport, table: str) -> str:
    rows = [
        [field, source, language, entity, count]
        for (name, field, source, language, entity), count in sorted(report.findings.items())
        if name == table
    ]
    if not rows:
        return "No personal data found."
    return markdown_table(["field", "source", "language", "entity type", "findings"], rows)


def _preview(report: ScrubReport, table: str) -> str:
    rows = report.previews.get(table) or []
    if not rows:
        return "No free text in this table."
    header = list(rows[0])
    return markdown_table(header, [[str(r[c])[:160] for c in header] for r in rows])


# The scrub's cluster travels with the asset (`resource_defs`, a beta parameter of Dagster's), so
# every job and test that materializes it gets the one the environment names.
warnings.filterwarnings(
    "ignore", "Parameter `resource_defs` of function `multi_asset`", dg.BetaWarning
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            deps=[
                RAW_TABLE_KEYS[name],
                RAW_TABLE_KEYS["conversations"],
                RAW_TABLE_KEYS["annotators"],
            ],
            description=_description(name),
            group_name="privacy",
            kinds={"presidio", "duckdb"},
            owners=["team:data-maintainers"],
        )
        for name, key in SCRUBBED_TABLE_KEYS.items()
    ],
    check_specs=[
        dg.AssetCheckSpec(
            LEAK_CHECK,
            asset=key,
            blocking=True,
            description="An independent regex detector (e-mail, phone, card, public IP, IBAN, "
            "platform IDs, API keys) and the planted values of a ground-truth manifest, if the "
            "run hands one over, find nothing in the scrubbed text.",
        )
        for key in SCRUBBED_TABLE_KEYS.values()
    ],
    partitions_def=drop_partitions,
    pool="duckdb",
    resource_defs={"scrub_cluster": ScrubCluster.from_environment()},
)
def scrubbed_tables(
    context: dg.AssetExecutionContext,
    config: ScrubConfig,
    warehouse: DuckDBResource,
    scrub_cluster: ScrubCluster,
):
    """Scrub one drop's raw rows into `scrubbed`, atomically, and audit what was found."""
    drop_id = context.partition_key
    scrubber_config = ScrubberConfig.load(
        settings.PROJECT_ROOT / config.config_path if config.config_path else None
    )
    planted = load_planted(Path(config.pii_manifest)) if config.pii_manifest else None
    hash_key = hash_key_or_failure()
    leaks = None
    # Closed when the scrub fails too (get_connection closes only on success): an open read-write
    # connection keeps the later runs of the same process from opening the file.
    with warehouse.get_connection() as conn, closing(conn):
        try:
            claim_warehouse_key(conn, hash_key)
        except HashKeyMismatch as error:
            raise dg.Failure(description=str(error)) from None
        try:
            report = scrub_drop(
                conn,
                drop_id,
                scrubber_config,
                hash_key,
                workers=config.workers,
                planted=planted,
                progress=context.log.info,
                cluster=scrub_cluster.address or None,
            )
        except LeakFound as leak:
            leaks = leak.report.leaks
        except ScrubRecordError as error:
            raise dg.Failure(description=f"drop {drop_id}: {error}") from error
    if leaks:
        leaked = Counter(found.table for found in leaks)
        for name, key in SCRUBBED_TABLE_KEYS.items():
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=LEAK_CHECK,
                passed=name not in leaked,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"leaks": leaked.get(name, 0)},
                description=summarize([f for f in leaks if f.table == name])
                if name in leaked
                else None,
            )
        raise dg.Failure(
            description=f"Residual-leak scan failed; drop {drop_id} was not written.\n"
            + summarize(leaks)
        )
    context.log.info(
        f"drop {drop_id}: {report.texts} texts, {report.texts_analyzed} analyzed, "
        f"{report.cache_hits} from the cache, {report.new_pseudonyms} new pseudonyms"
    )
    for name, key in SCRUBBED_TABLE_KEYS.items():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "rows": dg.MetadataValue.int(report.rows[name]),
                "pii_by_entity_type": dg.MetadataValue.json(dict(report.by_entity(name))),
                "pii_audit": dg.MetadataValue.md(_audit_markdown(report, name)),
                "non_english_texts": dg.MetadataValue.int(report.non_english_texts[name]),
                "preview": dg.MetadataValue.md(_preview(report, name)),
                "texts_in_drop": report.texts,
                "texts_analyzed": report.texts_analyzed,
                "cache_hits": report.cache_hits,
                "names_found_by_scope_propagation": report.propagated_names,
                "scrubber_version": scrubber_config.version,
                **{
                    f"{scrub_pass}_rows_per_s": dg.MetadataValue.float(round(rate, 1))
                    for scrub_pass, rate in report.rows_per_s.items()
                },
            },
        )
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=LEAK_CHECK,
            passed=True,
            metadata={"leaks": 0},
        )
