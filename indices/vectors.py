"""Vector search: exact cosine scan, or a 1-bit scan with exact rescoring once the collection is large.

Vectors are unit length, so cosine is a dot product. The 1-bit index keeps the sign of each
dimension (48 bytes per 384-d vector); Hamming distance on it shortlists ``rescore`` rows that are
then scored exactly in float32.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]


class VectorTable:
    """Growable float32 matrix with a parallel sign-bit code table."""

    def __init__(self, dims: int, capacity: int = 1024) -> None:
        self.dims = dims
        self._vectors = np.zeros((capacity, dims), dtype=np.float32)
        self._codes = np.zeros((capacity, self._code_words), dtype=np.uint64)
        self.size = 0

    @property
    def _code_words(self) -> int:
        return (self.dims + 63) // 64

    def _encode(self, vectors: FloatArray) -> npt.NDArray[np.uint64]:
        bits = np.packbits(vectors > 0, axis=1)
        padded = np.zeros((len(vectors), self._code_words * 8), dtype=np.uint8)
        padded[:, : bits.shape[1]] = bits
        return padded.view(np.uint64)

    def set(self, row: int, vector: FloatArray) -> None:
        if row >= len(self._vectors):
            grow = max(row + 1, 2 * len(self._vectors))
            self._vectors = np.resize(self._vectors, (grow, self.dims))
            self._codes = np.resize(self._codes, (grow, self._code_words))
        self._vectors[row] = vector
        self._codes[row] = self._encode(vector[None, :])[0]
        self.size = max(self.size, row + 1)

    def get(self, row: int) -> FloatArray:
        return self._vectors[row].copy()

    @property
    def matrix(self) -> FloatArray:
        return self._vectors[: self.size]

    def load(self, matrix: FloatArray) -> None:
        self._vectors = np.ascontiguousarray(matrix, dtype=np.float32)
        self._codes = self._encode(self._vectors) if len(matrix) else np.zeros((0, self._code_words), np.uint64)
        self.size = len(matrix)

    def search(
        self, query: FloatArray, mask: BoolArray, k: int, *, approximate: bool, rescore: int
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Top-``k`` rows among ``mask`` by cosine; returns (rows, scores) best first."""
        allowed = np.flatnonzero(mask[: self.size])
        if len(allowed) == 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        if approximate and len(allowed) > rescore:
            # Hamming distances of the allowed rows only, then their ``rescore`` nearest, in row order (the
            # exact rescoring then reads the float rows front to back).
            code = self._encode(query[None, :])[0]
            distances = np.bitwise_count(self._codes[allowed] ^ code).sum(axis=1, dtype=np.uint16)
            allowed = np.sort(allowed[np.argpartition(distances, rescore)[:rescore]])
        scores = self._vectors[allowed] @ query
        top = min(k, len(allowed))
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best], kind="stable")]
        return allowed[best], scores[best]
