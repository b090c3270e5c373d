"""The users the release withholds, recorded between the marts and the metric models.

The release withholds real users alone, or nearly, in the quasi-identifiers its `users` and
`conversations` configs publish (`pipelines/release/k_anonymity.py`). This asset groups the users
of those marts once they are built and writes the users below k to `release.withheld_users`, the
dbt source of `int_withheld_users`; the metric models leave them out, so the published `metrics`
config is recomputed exactly from the per-user configs. Dagster runs the dbt project in steps
around it, as around the stage-2 baselines. The release groups the marts again and stops when the
recorded users are not the ones it withholds (`k_anonymity.check_metrics_scope`).
"""

import dagster as dg
import duckdb

from pipelines import settings
from pipelines.release import k_anonymity

# The marts whose published columns hold the quasi-identifiers.
GROUPED_MARTS = [dg.AssetKey(["users"]), dg.AssetKey(["conversations"])]


@dg.asset(
    group_name="models",
    kinds={"python", "duckdb"},
    deps=GROUPED_MARTS,
    pool="duckdb",
    description=(
        "The real users in groups smaller than k (PIPELINES_RELEASE_MIN_K) of the quasi-"
        "identifiers the release publishes, which the release withholds; written to "
        f"{k_anonymity.WITHHELD_TABLE} for the metric models to leave out."
    ),
)
def withheld_users() -> dg.MaterializeResult:
    # The file dbt builds, opened as dbt_models opens it: this group needs no other resource.
    with duckdb.connect(str(settings.duckdb_path()), config=settings.duckdb_config()) as conn:
        assessment = k_anonymity.record_below_k(conn)
    # Counts only: the users themselves stay in the warehouse.
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(assessment.below_k),
            "k": assessment.k,
            "users_grouped": assessment.users,
            "groups_below_k": assessment.groups_below_k,
            "smallest_group": assessment.smallest_group or 0,
            "quasi_identifiers": dg.MetadataValue.json(list(assessment.quasi_identifiers)),
        }
    )
