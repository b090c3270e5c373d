"""The detection engine's public face: what callers outside the package use to find what to scrub.

`Detector` (`detector`) finds the spans to scrub in a batch of texts in one process;
`DetectionCluster` and `detect_on_cluster` (`detection_cluster`) spread batches over the workers of
a Dask cluster, local or remote; a `Finding` (`findings`) is one span and its entity type.
"""

from pipelines.privacy.analyzer import build_analyzer
from pipelines.privacy.detection_cluster import (
    DetectionCluster,
    DetectorWorkerError,
    detect_on_cluster,
)
from pipelines.privacy.detector import Detector, default_detector
from pipelines.privacy.findings import Finding, Route, is_english, resolve_overlaps

__all__ = [
    "DetectionCluster",
    "Detector",
    "DetectorWorkerError",
    "Finding",
    "Route",
    "build_analyzer",
    "default_detector",
    "detect_on_cluster",
    "is_english",
    "resolve_overlaps",
]
