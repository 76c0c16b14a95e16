"""Text embeddings: one adapter over sentence-transformers, a deterministic fake, and a cache.

The model loads lazily, once per process. Vectors are float32 and unit length, so cosine
similarity is a dot product everywhere downstream.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from indices.analysis import analyze
from matcher.store.db import Store
from matcher.store.tables import EmbeddingRow

Matrix = npt.NDArray[np.float32]
Progress = Callable[[int, int], None]


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors."""

    @property
    def model_id(self) -> str:
        """Names the model and its settings: vectors from different ids are never mixed."""
        ...

    @property
    def dims(self) -> int: ...

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> Matrix: ...


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any sentence-transformers model folder), on the CPU, without network."""

    def __init__(
        self,
        model_path: str,
        *,
        batch_size: int = 32,
        threads: int | None = None,
        max_seq_length: int = 256,
        precision: str = "fp32",
    ) -> None:
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be fp32 or bf16, not {precision!r}")
        self.precision = precision
        self.model_path = model_path
        self.batch_size = batch_size
        self.threads = threads
        self.max_seq_length = max_seq_length
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"{os.path.basename(self.model_path.rstrip('/'))}:{self.max_seq_length}:{self.precision}"

    @property
    def dims(self) -> int:
        model = self._load()
        # sentence-transformers 5.2 renamed the method; keep both spellings working.
        size = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(size())

    def _load(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer

                if self.threads:
                    torch.set_num_threads(self.threads)
                model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
                model.max_seq_length = self.max_seq_length
                if self.precision == "bf16":
                    model = model.to(torch.bfloat16)
                self._model = model
            return self._model

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> Matrix:
        model = self._load()
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        # Sorting by length keeps padding low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        step = self.batch_size * 4
        for start in range(0, len(order), step):
            chunk = order[start : start + step]
            out[chunk] = model.encode(
                [texts[i] for i in chunk],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if progress:
                progress(min(start + step, len(order)), len(order))
        # Normalise again in float32: bf16 inference leaves norms a few 1e-3 away from 1.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)


class HashingEmbedder:
    """Deterministic stand-in for fast unit tests: hashed French terms, projected and normalised.

    Texts sharing words get similar vectors, so ranking logic can be tested without the model.
    """

    def __init__(self, dims: int = 64) -> None:
        self._dims = dims

    @property
    def model_id(self) -> str:
        return f"hashing-{self._dims}"

    @property
    def dims(self) -> int:
        return self._dims

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> Matrix:
        out = np.zeros((len(texts), self._dims), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in analyze(text):
                digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self._dims] += 1.0 if digest[4] & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else np.eye(1, self._dims, 0, dtype=np.float32)[0]
        if progress:
            progress(len(texts), len(texts))
        return out


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CachedEmbedder:
    """Embeds only texts never seen by this model; the cache lives in the system of record."""

    def __init__(self, embedder: Embedder, store: Store) -> None:
        self.embedder = embedder
        self.store = store

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def dims(self) -> int:
        return self.embedder.dims

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> Matrix:
        hashes = [content_hash(t) for t in texts]
        known: dict[str, npt.NDArray[np.float32]] = {}
        with self.store.read() as session:
            unique = sorted(set(hashes))
            for start in range(0, len(unique), 500):
                rows = session.execute(
                    select(EmbeddingRow.content_hash, EmbeddingRow.vector).where(
                        EmbeddingRow.model == self.model_id, EmbeddingRow.content_hash.in_(unique[start : start + 500])
                    )
                )
                known.update({h: np.frombuffer(v, dtype=np.float32) for h, v in rows})
        missing = {h: t for h, t in zip(hashes, texts, strict=True) if h not in known}
        if missing:
            fresh = self.embedder.embed(list(missing.values()), progress=progress)
            with self.store.transaction() as session:
                for h, vector in zip(missing, fresh, strict=True):
                    known[h] = vector
                    session.merge(EmbeddingRow(model=self.model_id, content_hash=h, vector=vector.tobytes()))
        elif progress:
            progress(len(texts), len(texts))
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.stack([known[h] for h in hashes]).astype(np.float32)
