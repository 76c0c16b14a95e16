"""Vectors cached in the store by (model, text hash), so a text is embedded once per model."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from matcher.core import metrics
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

    def embed(
        self, texts: Sequence[str], *, progress: Progress | None = None, owners: Sequence[str] | None = None
    ) -> Matrix:
        """Vectors of ``texts``. ``owners``: for profile texts, the candidate each belongs to (one per text), so
        that erasing the person removes the vectors of every version of their profile (:func:`forget`)."""
        if owners is not None and len(owners) != len(texts):
            raise ValueError("one owner per text")
        hashes = [content_hash(t) for t in texts]
        owner_of = dict(zip(hashes, owners, strict=True)) if owners is not None else {}
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
            started = time.perf_counter()
            fresh = self.embedder.embed(list(missing.values()), progress=progress)
            metrics.embedding_seconds.observe(time.perf_counter() - started)
            metrics.embedding_batch.observe(len(missing))
            values = []
            for h, vector in zip(missing, fresh, strict=True):
                known[h] = vector
                values.append(
                    {"model": self.model_id, "content_hash": h, "vector": vector.tobytes(), "owner": owner_of.get(h)}
                )
            with self.store.transaction() as session:
                # Two workers may embed the same text at once: the first write wins, the other is a no-op.
                insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
                for start in range(0, len(values), 500):
                    chunk = values[start : start + 500]
                    session.execute(insert(EmbeddingRow).values(chunk).on_conflict_do_nothing())
        elif progress:
            progress(len(texts), len(texts))
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.stack([known[h] for h in hashes]).astype(np.float32)


def forget(session: Session, *, owner: str, text_hashes: Sequence[str] = ()) -> int:
    """Delete every cached vector of a person's profile texts (and of these texts, whoever cached them)."""
    condition = EmbeddingRow.owner == owner
    if text_hashes:
        condition = condition | EmbeddingRow.content_hash.in_(list(text_hashes))
    result = session.execute(delete(EmbeddingRow).where(condition))
    return int(getattr(result, "rowcount", 0) or 0)
