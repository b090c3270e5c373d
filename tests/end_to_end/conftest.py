"""The end-to-end tests read the sample run of tests/sample_run.py (fixture `pipeline_run`)."""

from tests.sample_run import PipelineRun, pipeline_env  # noqa: F401  (imported from here)
