"""The card refuses to publish a label value or a metric it cannot explain to its readers."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.release.publish import publish_release


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            "update main.stage1_attributes set failure_category = 'novel_category' "
            "where failure_category is not null",
            "novel_category",
        ),
        ("update main.metrics set metric = 'made_up_metric' where metric = 'f1'", "made_up_metric"),
    ],
)
def test_an_unexplained_value_or_metric_stops_the_release(
    warehouse_db, local_target, options, change, named
):
    with duckdb.connect(str(warehouse_db)) as conn:
        conn.execute(change)
        with pytest.raises(ValueError, match=named):
            publish_release(conn, local_target, options)
    assert local_target.tags() == []
