"""The scrub's detection on a real local Dask cluster of two worker processes: the same findings as
the in-process detector, and a worker killed by its pid mid-stream loses nothing."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from pipelines import settings
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.detection_cluster import DetectionCluster
from pipelines.privacy.engine import Detector

# A slice of the bundled sample's user turns: every kind of planted value, a few seconds to detect.
SAMPLE_TEXTS = 48


def sample_texts(limit: int = SAMPLE_TEXTS) -> list[str]:
    texts: list[str] = []
    with (settings.SAMPLE_DROP / "conversations.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            texts += [t["content"] for t in json.loads(line)["turns"] if t["role"] == "user"]
            if len(texts) >= limit:
                break
    return texts[:limit]


@pytest.fixture(scope="module")
def cluster():
    with DetectionCluster(ScrubberConfig.load(), workers=2) as started:
        yield started


@pytest.fixture(scope="module")
def in_process() -> list:
    return Detector.shared(ScrubberConfig.load()).detect(sample_texts())


def test_the_cluster_finds_what_the_in_process_detector_finds(cluster, in_process):
    assert cluster.workers == 2
    found = cluster.detect([(text, "full") for text in sample_texts()])
    assert found == in_process
    assert sum(map(len, found)) > 0, "the slice holds personal data"


def test_a_worker_killed_mid_stream_has_its_chunks_run_again_elsewhere(cluster, in_process):
    """Chunks of four texts, four in flight: the worker killed after the first answer holds
    some; the scheduler runs them again, its nanny starts a new worker, nothing is lost."""
    before = cluster.worker_pids()
    victim = next(iter(before.values()))
    found = []
    for findings in cluster.stream(((text, "full") for text in sample_texts()), chunk_size=4):
        if not found:
            os.kill(victim, signal.SIGKILL)
        found.append(findings)
    assert found == in_process
    deadline = time.monotonic() + 120
    while victim in (after := cluster.worker_pids()).values() or len(after) < 2:
        assert time.monotonic() < deadline, "the killed worker was never replaced"
        time.sleep(0.5)
