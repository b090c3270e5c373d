"""The release asset: split, export, card, version and publish, after the marts' checks pass.

It depends on every published mart, so Dagster's blocking asset checks on those marts (and the
privacy leak check upstream of them) skip it when they fail: a failed check blocks the release.
"""

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.defs.release.resources import ReleaseTargetResource
from pipelines.release.configs import CONFIGS
from pipelines.release.publish import publish_release

MART_KEYS = [dg.AssetKey([config.table]) for config in CONFIGS]


@dg.asset(
    group_name="release",
    kinds={"parquet", "git", "huggingface"},
    deps=MART_KEYS,
    pool="duckdb",
    description=(
        "A versioned release of the dataset: user-grouped splits, Parquet per config and split, "
        "the dataset card and Croissant file, published as one commit and tag vX.Y.Z to the "
        "local dataset repo (or the Hub). Identical content publishes nothing."
    ),
)
def dataset_release(
    context: dg.AssetExecutionContext,
    warehouse: DuckDBResource,
    release_target: ReleaseTargetResource,
) -> dg.MaterializeResult:
    target = release_target.target()
    # The resource's settings too (memory limit): the export's sorts spill instead of growing.
    with duckdb.connect(
        warehouse.database, read_only=True, config=dict(warehouse.connection_config)
    ) as conn:
        result = publish_release(conn, target)
    plan = result.plan
    context.log.info(result.summary())
    if plan.undocumented:
        context.log.warning(
            "fields without a description in dbt/models/marts/*.yml: "
            + ", ".join(plan.undocumented)
        )
    manifest = plan.manifest
    rows = plan.rows()
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(result.location)
            if not result.location.startswith("http")
            else dg.MetadataValue.url(result.location),
            "version": f"v{result.version}",
            "published": result.published,
            "change": plan.change or "none",
            "commit": result.commit or "",
            "load_command": dg.MetadataValue.text(result.load_command),
            "rows": dg.MetadataValue.json(rows),
            "total_rows": sum(sum(splits.values()) for splits in rows.values()),
            "split_ratios_target": dg.MetadataValue.json(manifest["splits"]["ratios"]),
            "split_ratios_realized": dg.MetadataValue.json(manifest["splits"]["realized"]),
            "users_per_split": dg.MetadataValue.json(manifest["splits"]["counts"]),
            "users_kept_split": plan.assignment.kept,
            "users_new": plan.assignment.new,
            "files_exported": len(plan.written),
            "changelog": dg.MetadataValue.md(plan.describe()),
            "undocumented_fields": dg.MetadataValue.json(plan.undocumented),
            "figures": dg.MetadataValue.md(
                "\n\n".join(figure.markdown() for figure in plan.figures)
            ),
        }
    )
