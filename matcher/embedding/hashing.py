"""A deterministic embedder for fast tests: hashed analysed terms, no model."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from indices.analysis import analyze
from matcher.embedding.protocol import Matrix, Progress


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
