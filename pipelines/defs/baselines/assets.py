"""The stage-2 baselines asset: BM25 and sentence embeddings against the human consensus.

It reads the marts and the release target's latest splits, and writes `baselines.stage2_metrics`,
the dbt source of `metrics_stage2_baselines`, so the figures join `main.metrics` (Dagster runs the
dbt project in two steps around it). Embeddings are cached in `cache.text_embeddings` by text and
model version: an unchanged stage-2 table embeds nothing.
"""

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.baselines.stage2 import (
    METRICS_TABLE,
    compute_baselines,
    previous_splits,
    write_metrics,
)
from pipelines.defs.release.resources import ReleaseTargetResource
from pipelines.release.configs import CONFIGS
from pipelines.text_format import markdown_table

# The users of every per-user mart decide the splits; the prompts give the prompt texts.
MART_KEYS = [dg.AssetKey([c.table]) for c in CONFIGS if c.per_user or c.table == "prompts"]


def _table_markdown(rows: list[dict]) -> str:
    return markdown_table(
        ["metric", "subject", "value", "n"],
        (
            [
                row["metric"],
                row["subject"],
                "undefined" if row["value"] is None else f"{row['value']:.3f}",
                row["n"] or "",
            ]
            for row in rows
        ),
    )


@dg.asset(
    group_name="baselines",
    kinds={"python", "duckdb", "onnx"},
    deps=MART_KEYS,
    pool="duckdb",
    description=(
        "Stage-2 retrieval baselines: every (attribute, prompt) item scored by BM25 and by the "
        "cosine of all-MiniLM-L6-v2 embeddings, a threshold per method fitted on the train split "
        "(best F1), precision / recall / F1 against the human consensus on validation and test, "
        f"and the paper's reference figures, written to {METRICS_TABLE}."
    ),
)
def stage2_baselines(
    context: dg.AssetExecutionContext,
    warehouse: DuckDBResource,
    release_target: ReleaseTargetResource,
) -> dg.MaterializeResult:
    previous = previous_splits(release_target.target())
    with duckdb.connect(warehouse.database, config=dict(warehouse.connection_config)) as conn:
        run = compute_baselines(conn, previous)
        write_metrics(conn, run.rows)
    context.log.info(
        f"{run.items} stage-2 items scored; {run.texts_embedded} texts embedded, "
        f"{run.texts_cached} from the cache"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(run.rows),
            "items_scored": run.items,
            "texts_embedded": run.texts_embedded,
            "texts_from_cache": run.texts_cached,
            "figures": dg.MetadataValue.md(_table_markdown(run.rows)),
        }
    )
