"""The scrub's detection on Dask distributed, Ray and Python's own process pool, side by side.

    .venv/bin/python benchmarks/detection_engines.py [--limit 400] [--rounds 2]
        [--ray-python /path/to/python-with-ray] [--engines dask multiprocessing] [--workers 2]
        [--results PATH]

Per engine and worker count (1 and 2), in a fresh process: the start-up (cluster up and every
worker's detector loaded and warmed), the throughput of the detection pass over the user turns of
../shared/realdata/sharegpt-1000/ (characters per second, chunks of 128 texts, at most two chunks
per worker in flight, as the scrub sends them), and the peak memory of the whole process tree
(driver, scheduler, workers and any daemon the engine starts), sampled every 0.2 s. Rounds are
interleaved (every engine once, then again) and the best round is kept: on a shared machine,
speeds drift between minutes.

Ray is measured only where an interpreter with Ray and this project can import both (the project
does not depend on it): `--ray-python`, or this one. The installed size of each engine (its
packages and their dependencies the project does not already have) is given by `--sizes`.
Results go to benchmarks/results/detection_engines.json (docs/benchmarks.md shows them).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results_header import results_header, write_results  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "detection_engines.json"
ENGINES = ("multiprocessing", "dask", "ray")
CHUNK = 128
# Installed size (MB) of each engine with the dependencies it adds to this project's environment,
# measured with `du` after `pip install` into it (Ray into an environment of its own).
INSTALLED_MB = {"multiprocessing": 0, "dask": 33, "ray": 291}


class PeakTreeMemory:
    """The largest sum of resident memory of this process and all its descendants."""

    def __init__(self, every_s: float = 0.2):
        import psutil

        self.process = psutil.Process()
        self.every_s = every_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            for process in [self.process, *self.process.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except Exception:  # noqa: BLE001 - a process that ended between two calls
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(self.every_s)

    def __enter__(self) -> PeakTreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def texts(limit: int) -> list[str]:
    from benchmarks.scrub_benchmark import load_texts

    return load_texts(limit)


def chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def ordered(submit, results, parts: list[list[str]], window: int) -> list:
    """Submit parts with at most `window` in flight; results in order."""
    found: list = []
    in_flight: deque = deque()
    for part in parts:
        in_flight.append(submit(part))
        if len(in_flight) >= window:
            found += results(in_flight.popleft())
    while in_flight:
        found += results(in_flight.popleft())
    return found


# -- engines: each returns (start-up seconds, detect(parts) -> findings, stop) ------------------


def start_multiprocessing(workers: int):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from benchmarks import detection_engines as here

    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=here.warm
    )
    # Every worker loaded: one warm-up per worker, each blocking until all have started.
    list(pool.map(here.ready, range(workers)))
    return (
        lambda parts: ordered(
            lambda p: pool.submit(here.detect, p), lambda f: f.result(), parts, 2 * workers
        ),
        pool.shutdown,
    )


def start_dask(workers: int):
    from pipelines.privacy.config import ScrubberConfig
    from pipelines.privacy.detection_cluster import DetectionCluster

    cluster = DetectionCluster(ScrubberConfig.load(), workers).__enter__()
    return (
        lambda parts: list(cluster.stream(((t, "full") for p in parts for t in p), CHUNK)),
        lambda: cluster.__exit__(None, None, None),
    )


def start_ray(workers: int):
    import ray

    from pipelines.privacy.config import ScrubberConfig
    from pipelines.privacy.detection_cluster import WARM_UP
    from pipelines.privacy.engine import Detector

    ray.init(
        num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False
    )

    @ray.remote(num_cpus=1, max_restarts=3, max_task_retries=3)
    class DetectorActor:
        def __init__(self) -> None:
            self.detector = Detector.shared(ScrubberConfig.load())
            self.detector.detect(WARM_UP)

        def detect(self, part: list[str]) -> list:
            return self.detector.detect(part)

    actors = [DetectorActor.remote() for _ in range(workers)]
    ray.get([actor.detect.remote([]) for actor in actors])
    turn = iter(range(10**9))
    return (
        lambda parts: ordered(
            lambda p: actors[next(turn) % workers].detect.remote(p), ray.get, parts, 2 * workers
        ),
        ray.shutdown,
    )


def warm() -> None:
    from pipelines.privacy.config import ScrubberConfig
    from pipelines.privacy.detection_cluster import WARM_UP
    from pipelines.privacy.engine import Detector

    Detector.shared(ScrubberConfig.load()).detect(WARM_UP)


def ready(_: int) -> int:
    time.sleep(0.5)
    return os.getpid()


def detect(part: list[str]) -> list:
    from pipelines.privacy.config import ScrubberConfig
    from pipelines.privacy.engine import Detector

    return Detector.shared(ScrubberConfig.load()).detect(part)


STARTERS = {"multiprocessing": start_multiprocessing, "dask": start_dask, "ray": start_ray}


def measure(engine: str, workers: int, limit: int) -> dict:
    """In a fresh process: start the engine, detect, stop; the figures as a dict."""
    import pipelines  # noqa: F401  (offline settings first)

    items = texts(limit)
    with PeakTreeMemory() as memory:
        started = time.perf_counter()
        run, stop = STARTERS[engine](workers)
        start_s = time.perf_counter() - started
        started = time.perf_counter()
        found = run(chunks(items))
        detect_s = time.perf_counter() - started
        stop()
    assert len(found) == len(items)
    return {
        "start_s": round(start_s, 2),
        "detect_s": round(detect_s, 2),
        "chars_per_s": round(sum(map(len, items)) / detect_s),
        "peak_tree_rss_mb": round(memory.peak / 2**20),
        "findings": sum(map(len, found)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=400, help="first N user turns")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--ray-python",
        default=None,
        help="an interpreter with Ray installed that can import this project",
    )
    parser.add_argument(
        "--engines", nargs="+", choices=ENGINES, default=list(ENGINES), help="engines to run"
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--only", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        print(json.dumps(measure(args.only, args.workers[0], args.limit)))
        return
    items = texts(args.limit)
    pythons = {engine: sys.executable for engine in ENGINES}
    pythons["ray"] = args.ray_python or sys.executable
    runs: dict[str, dict[int, list[dict]]] = {
        e: {w: [] for w in args.workers} for e in args.engines
    }
    for round_ in range(args.rounds):
        for workers in args.workers:
            for engine in args.engines:
                command = [
                    pythons[engine],
                    __file__,
                    "--only",
                    engine,
                    "--workers",
                    str(workers),
                    "--limit",
                    str(args.limit),
                ]
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
                if done.returncode:
                    print(f"{engine}, {workers} workers: failed\n{done.stderr[-1500:]}")
                    continue
                figures = json.loads(done.stdout.strip().splitlines()[-1])
                runs[engine][workers].append(figures)
                print(f"round {round_ + 1}: {engine}, {workers} workers: {figures}", flush=True)
    engines = {}
    for engine, by_workers in runs.items():
        if not any(by_workers.values()):
            continue
        engines[engine] = {"installed_mb": INSTALLED_MB[engine], "workers": {}}
        for workers, rounds in by_workers.items():
            if rounds:
                engines[engine]["workers"][str(workers)] = {
                    "start_s": min(r["start_s"] for r in rounds),
                    "chars_per_s": max(r["chars_per_s"] for r in rounds),
                    "peak_tree_rss_mb": min(r["peak_tree_rss_mb"] for r in rounds),
                    "rounds": rounds,
                }
    header = results_header("detection_engines.py")
    header["command"] = header["command"].replace(args.ray_python or "\0", "<python with ray>")
    write_results(
        args.results,
        header,
        {"texts": len(items), "chars": sum(map(len, items)), "engines": engines},
    )


if __name__ == "__main__":
    main()
