"""The scrub's detection on a Dask distributed cluster: a local one, or one given by address.

Only detection is distributed. The drop's rows are still read, numbered, staged and swapped by the
process that holds the warehouse (the DuckDB file has one writer); it sends chunks of texts to the
cluster and gets their findings back, in order.

- Local (the default): `LocalCluster` with one single-threaded worker process per core (or
  `workers`), started when the block is given its first texts and stopped when it ends. The
  process that starts it loads the detector and the workers are forked from it, so the model
  loads once. Its scheduler listens on the loopback interface only. The workers end with that
  process, even when it is killed (Linux).
- Existing: `address` (`PIPELINES_SCRUB_CLUSTER`, e.g. tcp://scheduler:8786) names a scheduler
  whose workers run this project's code and its spaCy model (docs/operations.md); the block
  connects to it when given its first texts and leaves it running.
- One worker and no address: the detector runs in this process, with no cluster at all.
- A local cluster of one worker per core (no `workers` given) starts only once a block's batches
  hold more than `in_process_chars` characters in all: the batches before that are detected in
  this process, which needs the detector loaded before forking anyway. A small drop is scrubbed
  sooner, and for less CPU, by one core than by a cluster that takes seconds of every core to start.

A block that is given no texts (every text of the drop is in the scrub's cache) loads no model and
starts no cluster.

Each worker has the detector before its first task and keeps it in `Detector.shared`: a local
worker inherits it from the process that forked it, a remote one loads it when it joins (a worker
plugin; a worker that a nanny restarts loads it again). A worker that dies mid-task (killed, out of
memory) loses nothing: the scheduler runs its tasks again on the others, and the findings are the
same as the in-process detector's. A task that kills `ALLOWED_FAILURES` workers in turn, or a
worker that cannot load its model, stops the scrub with `DetectorWorkerError`.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.findings import Finding, Route

logger = logging.getLogger(__name__)

# Tasks a worker's death may interrupt before the scheduler gives up on them (Dask's default).
ALLOWED_FAILURES = 3
DASK_CONFIG = {
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    # The workers' statistical profiler samples every thread's stack each 10 ms: a third of the
    # detector's speed on its deep call stacks (benchmarks/detection_engines.py).
    "distributed.worker.profile.enabled": False,
    # Housekeeping timers (event-loop tick, system and memory monitors, work stealing) fire every
    # 20 to 500 ms by default: 6% of a core while idle, taken from detection on a small machine;
    # at these intervals, under 2%.
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.scheduler.work-stealing-interval": "1s",
    # One task per worker at a time (Dask's default holds a second one back on each): a worker
    # that is done takes the next chunk, instead of waiting while another has two queued.
    "distributed.scheduler.worker-saturation": 1.0,
}
# A local cluster's workers are forked from the process that starts it (`DetectionCluster`).
LOCAL_CONFIG = {"distributed.worker.multiprocessing-method": "fork"}
# prctl(2) options: the signal a process gets when the thread that forked it ends.
PR_SET_PDEATHSIG, PR_GET_PDEATHSIG = 1, 2
# Texts per task: enough to amortize a task's round trip (about a millisecond), few enough that
# every worker gets a share of a batch.
CHUNK_SIZE = 128
# A bounded batch is cut into about this many chunks per worker, of at least `MIN_CHUNK` texts:
# texts differ in length a hundredfold, and with a few large chunks one worker is still busy
# with its last while the others have none left.
CHUNKS_PER_WORKER = 8
MIN_CHUNK = 16
# Texts that take a new detector through every lazily loaded list (word lists, given names and
# their common English ones, places, Presidio's patterns compiled with their flags).
WARM_UP = [
    "Hi, I am Ann Smith from Leeds; mail ann.smith@site.org or call 212 555 0187.",
    "Tell Mark and Will to come.",
]
# How long to wait for an existing cluster's scheduler to answer.
CONNECT_TIMEOUT_S = 30


class DetectorWorkerError(RuntimeError):
    """Detection stopped: a task's workers kept dying, a worker could not load its model, or the
    cluster went away."""


def local_workers() -> int:
    """One worker per core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_forked_from: int | None = None


def _note_forking_process() -> None:
    global _forked_from
    _forked_from = os.getpid()


def _die_with_the_forking_process() -> None:
    """In a child just forked: end with the process that forked it, even when that one is killed.

    Dask's own check (a pipe whose other end only the parent holds) fails for forked workers: a
    worker forked after a sibling's pipe was made inherits that pipe's parent end, and the two keep
    each other alive when the run is killed."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # The parent may have died between the fork and the line above.
    if os.getppid() != _forked_from:
        os._exit(1)


def _fork_workers_that_die_with_this_process() -> None:
    """Every child this process forks from now on ends when it does (Linux; once per process)."""
    global _forked_from
    if sys.platform == "linux" and _forked_from is None:
        _forked_from = os.getpid()
        os.register_at_fork(
            before=_note_forking_process, after_in_child=_die_with_the_forking_process
        )


def _detector(config: ScrubberConfig) -> Any:
    """The process's `Detector`. Imported here: a process that only sends texts to a cluster
    never loads spaCy and Presidio (seconds before its workers can even start)."""
    from pipelines.privacy.detector import Detector

    return Detector.shared(config)


def _detect_chunk(config: ScrubberConfig, texts: list[str], routes: list[Route]) -> list:
    """Runs on a worker: the worker's detector (loaded by the plugin) over one chunk."""
    return _detector(config).detect(texts, routes)


def _detector_plugin(config: ScrubberConfig) -> Any:
    from distributed import WorkerPlugin

    class DetectorPlugin(WorkerPlugin):
        """Loads the detector when a worker joins, so the first task does not wait for it."""

        name = f"scrub-detector-{config.version}"

        def setup(self, worker: Any) -> None:
            # The word lists and given names load on a detector's first texts: here, not in the
            # first task, so a worker's start-up is over when it joins.
            _detector(config).detect(WARM_UP, ["full"] * len(WARM_UP))
            # What is loaded now lives as long as the worker: frozen, the garbage collector no
            # longer walks it, and the worker exits at once when the cluster stops instead of
            # seconds later.
            gc.freeze()

    return DetectorPlugin()


class DetectionCluster:
    """Detection on Dask workers; see the module docstring. Use it as a context manager."""

    def __init__(
        self,
        config: ScrubberConfig,
        workers: int | None = None,
        address: str | None = None,
        chunk_size: int = CHUNK_SIZE,
        in_process_chars: int = 0,
    ):
        self.config = config
        self.address = address or None
        self.local_workers = workers or local_workers()
        self.chunk_size = chunk_size
        self.in_process = not self.address and self.local_workers == 1
        self.in_process_chars = 0 if self.address or workers else in_process_chars
        self._chars_detected_here = 0
        self.client: Any = None
        self._cluster: Any = None
        self._open = False

    def __enter__(self) -> DetectionCluster:
        """Opens the block; the detector loads and the cluster starts (or is joined) when the
        first texts arrive, so a drop whose texts are all in the scrub's cache needs neither."""
        self._open = True
        return self

    def _start(self) -> None:
        if not self._open:
            raise RuntimeError("DetectionCluster is used outside its `with` block")
        if self.in_process or self.client is not None:
            return
        import dask
        from distributed import Client, LocalCluster

        dask.config.set(DASK_CONFIG)
        try:
            if self.address:
                self.client = Client(self.address, timeout=CONNECT_TIMEOUT_S)
            else:
                # The detector is loaded here, once, and the workers are forked from this process
                # with it, as spaCy's own `n_process` does: spawned, each worker would import
                # spaCy and Presidio and load the model and word lists itself, seconds of a core
                # each before its first text. A worker the nanny restarts is forked again. The
                # lists a detector loads on its first texts are loaded here too, once, not by
                # every worker.
                _detector(self.config).detect(WARM_UP, ["full"] * len(WARM_UP))
                dask.config.set(LOCAL_CONFIG)
                _fork_workers_that_die_with_this_process()
                self._cluster = LocalCluster(
                    n_workers=self.local_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    # Its HTTP server (health, metrics) on a free port of the loopback only.
                    dashboard_address="127.0.0.1:0",
                    # A nanny warns when it kills a worker slow to stop at the end: routine, and
                    # a run's warnings are counted (pipelines run names how many it logged).
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self._cluster)
            self.client.register_plugin(_detector_plugin(self.config))
        except Exception as error:
            self._stop()
            where = self.address or f"a local cluster of {self.local_workers} workers"
            raise DetectorWorkerError(
                f"the detector could not start on {where} ({type(error).__name__}: "
                f"{str(error)[:200]})"
            ) from error

    def __exit__(self, *exc_info: object) -> None:
        self._open = False
        self._stop()

    def _stop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    @property
    def workers(self) -> int:
        """Workers the cluster has now."""
        if self.in_process:
            return 1
        self._start()
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def worker_pids(self) -> dict[str, int]:
        """Worker address -> its process id."""
        self._start()
        return self.client.run(os.getpid)

    def detect(self, items: Sequence[tuple[str, Route]]) -> list[list[Finding]]:
        """Findings per text of a bounded batch, in order. Every chunk is submitted at once,
        about `CHUNKS_PER_WORKER` per worker and the longest first, and a worker takes the next
        when it is done with one: the workers finish at about the same time."""
        if self.in_process or not items:
            return list(self.stream(items))
        if self.client is None and self._fits_here(items):
            return list(self._detect_here(items, self.chunk_size))
        self._start()
        share = -(-len(items) // (CHUNKS_PER_WORKER * max(self.workers, 1)))
        chunks = list(_chunks(items, max(MIN_CHUNK, min(self.chunk_size, share))))
        from distributed import KilledWorker

        longest_first = sorted(range(len(chunks)), key=lambda i: -sum(map(len, chunks[i][0])))
        futures: dict[int, Any] = {}
        try:
            for index in longest_first:
                texts, routes = chunks[index]
                futures[index] = self.client.submit(
                    _detect_chunk, self.config, texts, routes, pure=False
                )
            return [found for index in range(len(chunks)) for found in futures[index].result()]
        except KilledWorker as error:
            raise _killed() from error
        finally:
            for future in futures.values():
                future.cancel()

    def _detect_here(
        self, items: Iterable[tuple[str, Route]], chunk_size: int
    ) -> Iterator[list[Finding]]:
        for texts, routes in _chunks(items, chunk_size):
            yield from _detector(self.config).detect(texts, routes)

    def _fits_here(self, items: Sequence[tuple[str, Route]]) -> bool:
        """Whether the batch is detected in this process: the block's batches so far, this one
        included, hold no more than `in_process_chars` characters."""
        chars = self._chars_detected_here + sum(len(text) for text, _ in items)
        if chars > self.in_process_chars:
            return False
        self._chars_detected_here = chars
        return True

    def stream(
        self, items: Iterable[tuple[str, Route]], chunk_size: int | None = None
    ) -> Iterator[list[Finding]]:
        """Findings per text, in order, for a stream of any length: at most two chunks per worker
        wait at a time, so the stream is never held whole."""
        if not self._open:
            raise RuntimeError("DetectionCluster is used outside its `with` block")
        if self.in_process:
            yield from self._detect_here(items, chunk_size or self.chunk_size)
            return
        from distributed import KilledWorker

        in_flight: deque[Any] = deque()
        window = 0
        try:
            for texts, routes in _chunks(items, chunk_size or self.chunk_size):
                if not window:
                    self._start()
                    window = 2 * max(self.workers, 1)
                in_flight.append(
                    self.client.submit(_detect_chunk, self.config, texts, routes, pure=False)
                )
                if len(in_flight) >= window:
                    yield from in_flight.popleft().result()
            while in_flight:
                yield from in_flight.popleft().result()
        except KilledWorker as error:
            raise _killed() from error
        finally:
            for future in in_flight:
                future.cancel()


def _killed() -> DetectorWorkerError:
    return DetectorWorkerError(
        f"detector workers died {ALLOWED_FAILURES} times running the same chunk of texts "
        "(killed, or out of memory on one of its texts); nothing was written"
    )


def _chunks(
    items: Iterable[tuple[str, Route]], size: int
) -> Iterator[tuple[list[str], list[Route]]]:
    texts: list[str] = []
    routes: list[Route] = []
    for text, route in items:
        texts.append(text)
        routes.append(route)
        if len(texts) >= size:
            yield texts, routes
            texts, routes = [], []
    if texts:
        yield texts, routes


def detect_on_cluster(
    config: ScrubberConfig,
    items: Iterable[tuple[str, Route]],
    workers: int | None = None,
    address: str | None = None,
) -> Iterator[list[Finding]]:
    """Findings per text, in order, from a cluster started (or joined) for the call."""
    with DetectionCluster(config, workers, address) as cluster:
        yield from cluster.stream(items)
