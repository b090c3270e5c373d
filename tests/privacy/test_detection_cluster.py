"""The scrub's detection on a real local Dask cluster of two worker processes: the same findings as
the in-process detector, and a worker killed by its pid mid-stream or mid-scrub loses nothing."""

from __future__ import annotations

import ctypes
import json
import os
import pty
import select
import signal
import time
from pathlib import Path

import duckdb
import psutil
import pytest

from pipelines import settings
from pipelines.cli_output import progress_line
from pipelines.contract.tables import TABLES
from pipelines.ingest import land_drop
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.detection_cluster import PR_GET_PDEATHSIG, DetectionCluster
from pipelines.privacy.detector import Detector
from pipelines.privacy.progress import Progress
from pipelines.privacy.scrub import scrub_drop
from pipelines.sample.generator import SampleConfig, generate
from tests.privacy.conftest import TEST_KEY

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


def _death_signal() -> int:
    """The signal this process gets when the thread that forked it ends (0: none)."""
    value = ctypes.c_int()
    ctypes.CDLL(None).prctl(PR_GET_PDEATHSIG, ctypes.byref(value))
    return value.value


def test_local_workers_end_when_the_process_that_forked_them_is_killed(cluster):
    """Two workers forked from one process can each hold the other's keep-alive pipe, so Dask's
    own check would not end them: the kernel does."""
    assert set(cluster.client.run(_death_signal).values()) == {signal.SIGKILL}
    assert _death_signal() == 0, "the run's own process is not tied to its parent"


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


def _detector_workers() -> list[psutil.Process]:
    """The Dask worker processes this test started: forked by the nannies in this process (a
    local cluster's), so they run its command line."""
    this = psutil.Process()
    return [child for child in this.children(recursive=True) if child.cmdline() == this.cmdline()]


def _scrubbed_rows(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {
            name: conn.execute(f"select * from scrubbed.{name} order by all").fetchall()
            for name in TABLES
        }


@pytest.fixture(scope="module")
def small_drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cluster-drop") / "drops" / "cluster-drop"
    generate(
        SampleConfig(
            out=folder, seed=11, conversations=40, users=8, stage2_items=16, stage3_items=8
        )
    )
    return folder


def _scrub(folder: Path, warehouse: Path, workers: int, progress=None) -> list[str]:
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if progress:
            progress(line)

    with duckdb.connect(str(warehouse)) as conn:
        land_drop(conn, folder)
        scrub_drop(
            conn,
            folder.name,
            ScrubberConfig.load(),
            TEST_KEY.encode(),
            workers=workers,
            progress=say,
        )
    return lines


def test_a_scrub_whose_worker_is_killed_writes_what_the_in_process_scrub_writes(
    small_drop, tmp_path
):
    """Two local workers; one is killed by its pid once the first table is detected. Its chunks
    run again on the other, and every scrubbed row is the one the in-process scrub writes."""
    in_process = tmp_path / "in-process.duckdb"
    _scrub(small_drop, in_process, workers=1)
    killed: list[int] = []
    # The module's other cluster may still run in this process: its workers are not the scrub's.
    others = {worker.pid for worker in _detector_workers()}

    def kill_a_worker(line: str) -> None:
        if not killed and line.startswith("found:"):
            workers = [w for w in _detector_workers() if w.pid not in others]
            assert len(workers) == 2, "a local cluster of two workers"
            killed.append(workers[0].pid)
            os.kill(workers[0].pid, signal.SIGKILL)

    on_cluster = tmp_path / "cluster.duckdb"
    lines = _scrub(small_drop, on_cluster, workers=2, progress=kill_a_worker)
    assert killed, "the scrub reported no table found"
    assert _scrubbed_rows(on_cluster) == _scrubbed_rows(in_process)
    assert any(" rows/s" in line and " of " in line for line in lines), lines


def test_progress_is_one_updating_line_on_a_terminal_and_nothing_elsewhere(tmp_path):
    """Counts only: rows done, in all and per second, redrawn in place and erased at the end."""
    steps = [100, 100, 100, 100]
    terminal, screen = pty.openpty()
    with progress_line(screen):
        rows = Progress("finding", 400, every_s=0.0)
        for step in steps:
            rows.advance(step)
        rows.finish()
    drawn = ""
    while select.select([terminal], [], [], 0.5)[0]:
        drawn += os.read(terminal, 65536).decode()
    os.close(terminal)
    os.close(screen)
    assert "finding: 200 of 400 rows (50%)" in drawn and " rows/s" in drawn
    assert "\n" not in drawn and drawn.endswith("\r"), "the line is redrawn, then erased"
    not_a_terminal = (tmp_path / "log").open("w")
    with progress_line(not_a_terminal.fileno()):
        Progress("finding", 400, every_s=0.0).finish()
    not_a_terminal.close()
    assert (tmp_path / "log").read_text() == ""


def test_the_time_left_is_reckoned_in_text_not_rows():
    """100 rows of long text take 10 s; 1,000 rows without text are left: a second's work, not
    the 100 s a rate in rows would promise."""
    now = [0.0]
    lines: list[str] = []
    rows = Progress(
        "finding", 1100, lines.append, every_s=0.0, clock=lambda: now[0], total_work=11100
    )
    now[0] = 10.0
    rows.advance(100, 100 * 101)
    assert lines[-1] == "finding: 100 of 1,100 rows (9%), 10 rows/s, about 1 s left"


def test_a_block_given_no_texts_starts_no_cluster():
    """A drop whose texts are all in the scrub's cache pays for no model and no workers."""
    with DetectionCluster(ScrubberConfig.load(), workers=2) as idle:
        assert idle.detect([]) == []
        assert list(idle.stream([])) == []
        assert idle.client is None
    with pytest.raises(RuntimeError, match="outside its `with` block"):
        idle.detect([("Call Ann at 212 555 0187.", "full")])


class _ClusterStarted(Exception):
    pass


def test_a_local_cluster_starts_only_past_the_characters_detected_in_process(
    in_process, monkeypatch
):
    """One worker per core by default: the batches up to `in_process_chars` characters in all
    are detected in this process, with its findings; the next one starts the cluster. Asked for
    by address or for a number of workers, the cluster starts with the first batch."""

    def start(cluster: DetectionCluster) -> None:
        raise _ClusterStarted

    monkeypatch.setattr(DetectionCluster, "_start", start)
    texts = [(text, "full") for text in sample_texts()]
    half = len(texts) // 2
    first_half = sum(len(text) for text, _ in texts[:half])
    config = ScrubberConfig.load()
    with DetectionCluster(config, in_process_chars=first_half) as automatic:
        assert automatic.detect(texts[:half]) == in_process[:half]
        with pytest.raises(_ClusterStarted):
            automatic.detect(texts[half:])
    for asked in ({"workers": 2}, {"address": "tcp://127.0.0.1:1"}):
        with (
            DetectionCluster(config, in_process_chars=first_half, **asked) as cluster,
            pytest.raises(_ClusterStarted),
        ):
            cluster.detect(texts[:1])
