"""The detector in worker processes: batches of texts spread over `workers` processes, each of
which loads the engine once.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.detector import Detector
from pipelines.privacy.findings import Finding, Route

# Worker processes: each loads its detector once, in its initializer.
_WORKER_CONFIG: ScrubberConfig | None = None


def _init_worker(config: ScrubberConfig) -> None:
    global _WORKER_CONFIG
    # A parent that ignores SIGTERM (nohup, some schedulers) would pass that on, and a broken
    # pool, which stops its workers with SIGTERM, would then wait for them for ever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER_CONFIG = config
    Detector.shared(config)


def _detect_chunk(chunk: tuple[list[str], list[Route]]) -> list[list[Finding]]:
    assert _WORKER_CONFIG is not None
    texts, routes = chunk
    return Detector.shared(_WORKER_CONFIG).detect(texts, routes)


class DetectorWorkerError(RuntimeError):
    """A detector worker process stopped abruptly: killed, out of memory, or failed to start."""


class DetectorPool:
    """The detector in `workers` processes (in this process when 1), started on first use and
    kept until the block ends, so a drop scrubbed batch by batch loads spaCy once per worker.

    A worker that dies or cannot load its model breaks the pool, which raises DetectorWorkerError
    instead of waiting for an answer that never comes. At most two chunks per worker are in
    flight, so a long stream of texts is never queued whole."""

    def __init__(self, config: ScrubberConfig, workers: int = 2, chunk_size: int = 128):
        self.config = config
        self.workers = workers
        self.chunk_size = chunk_size
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> DetectorPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def detect(self, items: Sequence[tuple[str, Route]]) -> list[list[Finding]]:
        """Findings per text of a bounded batch, in order; chunks sized to keep workers busy."""
        size = max(1, min(self.chunk_size, -(-len(items) // (2 * max(self.workers, 1)))))
        return list(self.stream(items, size))

    def stream(
        self, items: Iterable[tuple[str, Route]], chunk_size: int | None = None
    ) -> Iterator[list[Finding]]:
        chunks = _chunks(items, chunk_size or self.chunk_size)
        if self.workers <= 1:
            detector = Detector.shared(self.config)
            for texts, routes in chunks:
                yield from detector.detect(texts, routes)
            return
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.config,),
            )
        in_flight: deque[Future[list[list[Finding]]]] = deque()
        try:
            for chunk in chunks:
                in_flight.append(self._executor.submit(_detect_chunk, chunk))
                if len(in_flight) >= 2 * self.workers:
                    yield from in_flight.popleft().result()
            while in_flight:
                yield from in_flight.popleft().result()
        except BrokenProcessPool as error:
            raise DetectorWorkerError(
                "a detector worker process stopped abruptly (killed, out of memory, or failed "
                "to load the spaCy model; its own error, if any, is in the log above)"
            ) from error


def detect_parallel(
    config: ScrubberConfig,
    items: Iterable[tuple[str, Route]],
    workers: int = 2,
    chunk_size: int = 128,
) -> Iterator[list[Finding]]:
    """Findings per text, in order, from `workers` processes (in this process when 1)."""
    with DetectorPool(config, workers, chunk_size) as pool:
        yield from pool.stream(items)


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
