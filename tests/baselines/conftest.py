"""The stage-2 baseline tests read the sample run that the end-to-end tests share."""

from tests.end_to_end.conftest import pipeline_run  # noqa: F401
