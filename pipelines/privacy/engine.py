"""The detection engine's public face: what callers outside the package use to find what to scrub.

`Detector` (`detector`) finds the spans to scrub in a batch of texts in one process;
`DetectorPool` and `detect_parallel` (`pool`) spread batches over worker processes; a `Finding`
(`findings`) is one span and its entity type.
"""

from pipelines.privacy.analyzer import build_analyzer
from pipelines.privacy.detector import Detector, default_detector
from pipelines.privacy.findings import Finding, Route, is_english, resolve_overlaps
from pipelines.privacy.pool import DetectorPool, DetectorWorkerError, detect_parallel

__all__ = [
    "Detector",
    "DetectorPool",
    "DetectorWorkerError",
    "Finding",
    "Route",
    "build_analyzer",
    "default_detector",
    "detect_parallel",
    "is_english",
    "resolve_overlaps",
]
