"""One Dagster asset check per suite file of `expectations/`, generated, never written by hand.

A check runs its suite with Great Expectations against the DuckDB table behind the asset (for a
drop-partitioned asset, the rows of the run's drop: the check itself is not partitioned, it reads
the run's partition and records it in its metadata). It is blocking when its suite has an
error-severity expectation; it fails with ERROR severity only when such an expectation failed
(then nothing downstream of the asset materializes), and with WARN when only warnings failed.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.quality import DuckDBSource, Suite, SuiteOutcome, load_suites, validate
from pipelines.quality.suites import PUBLISHED_SCHEMA

CHECK_NAME = "great_expectations"
MAX_DESCRIPTION = 4000


def check_result(outcome: SuiteOutcome) -> dg.AssetCheckResult:
    """The check's verdict, with what failed, the observed values and a few offending row keys."""
    metadata: dict[str, dg.RawMetadataValue] = {
        "suite": outcome.suite,
        "expectations": len(outcome.results),
        "failed_errors": len(outcome.errors),
        "failed_warnings": len(outcome.warnings),
        "failed_expectations": dg.MetadataValue.md(outcome.markdown()),
        "failures": dg.MetadataValue.json([r.as_dict() for r in outcome.failures]),
        "seconds": round(outcome.seconds, 3),
    }
    if outcome.partition:
        metadata["partition"] = outcome.partition
    if outcome.data_docs:
        metadata["data_docs"] = dg.MetadataValue.url(outcome.data_docs.as_uri())
    if outcome.data_docs_index:
        metadata["data_docs_index"] = dg.MetadataValue.path(str(outcome.data_docs_index))
    message = outcome.message()
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR if outcome.errors else dg.AssetCheckSeverity.WARN,
        description=message
        if len(message) <= MAX_DESCRIPTION
        else message[: MAX_DESCRIPTION - 3] + "...",
        metadata=metadata,
    )


def suite_check(suite: Suite) -> dg.AssetChecksDefinition:
    partitioned = suite.partition_column is not None

    @dg.asset_check(
        asset=dg.AssetKey(suite.asset_key),
        name=CHECK_NAME,
        blocking=suite.blocking,
        description=f"Great Expectations suite expectations/{suite.path.name}: "
        f"{suite.description or suite.name}",
        pool="duckdb",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource
    ) -> dg.AssetCheckResult:
        outcome = validate(
            suite,
            DuckDBSource(warehouse.database),
            partition=context.partition_key if partitioned else None,
        )
        log = context.log.info if outcome.success else context.log.warning
        log(outcome.message())
        return check_result(outcome)

    return _check


def suite_checks(suites: dict[str, Suite] | None = None) -> list[dg.AssetChecksDefinition]:
    """A check per suite of a warehouse table (the release checks the published splits)."""
    suites = load_suites() if suites is None else suites
    return [suite_check(s) for s in suites.values() if s.schema != PUBLISHED_SCHEMA]
