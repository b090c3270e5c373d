"""The personalization-dataset pipeline: raw exports in, a private, validated, versioned dataset."""

from pipelines import settings  # noqa: F401  (first: switches telemetry and downloads off)
