"""Vectors cached in the store by (model, text hash), so a text is embedded once per model."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from matcher.embedding.protocol import Embedder, Matrix, Progress
from matcher.store.db import Store
from matcher.store.tables import EmbeddingRow


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
