"""Vector search: exact cosine scan, or a 1-bit scan with exact rescoring once the collection is large.

Vectors are unit length, so cosine is a dot product. They are kept as float16 (768 bytes per 384-d
vector, half of float32's memory and page cache): a component loses at most 2^-11 of itself, a
cosine of unit vectors typically 1e-5, far below the gaps between real neighbours (recall against float32
exact search is measured by ``bench.shortlist``). The 1-bit index keeps the sign of each dimension
(48 bytes per 384-d vector); Hamming distance on it shortlists ``rescore`` rows that are then scored
exactly, in float32 arithmetic over the float16 rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.uint64]
HalfArray = npt.NDArray[np.float16]
STORED = np.float16  # how rows are kept, in memory and in the saved file


class VectorTable:
    """Float16 rows with a parallel sign-bit code table (the codes always in memory).

    Rows saved in a file are memory-mapped (:meth:`adopt`): the page cache holds them, as a search
    engine's segments, so only the pages a search reads are resident (the 1-bit scan reads the codes;
    rescoring a few thousand rows). The mapping is copy-on-write: updating a saved row changes this
    process's copy only. Rows added after them are kept in memory (the tail) until the next save.
    """

    def __init__(self, dims: int, capacity: int = 1024) -> None:
        self.dims = dims
        self._base: HalfArray = np.zeros((0, dims), dtype=STORED)  # rows [0, len(_base)): mapped
        self._tail: HalfArray = np.zeros((capacity, dims), dtype=STORED)  # row r >= len(_base) at r - len(_base)
        self._codes = np.zeros((capacity, self._code_words), dtype=np.uint64)
        self.size = 0

    @property
    def _code_words(self) -> int:
        return (self.dims + 63) // 64

    def _encode(self, vectors: FloatArray) -> Codes:
        bits = np.packbits(vectors > 0, axis=1)
        padded = np.zeros((len(vectors), self._code_words * 8), dtype=np.uint8)
        padded[:, : bits.shape[1]] = bits
        return padded.view(np.uint64)

    def set(self, row: int, vector: FloatArray) -> None:
        based = len(self._base)
        if row >= based + len(self._tail):
            self._tail = np.resize(self._tail, (max(row + 1 - based, 2 * len(self._tail)), self.dims))
        if row >= len(self._codes):
            self._codes = np.resize(self._codes, (max(row + 1, 2 * len(self._codes)), self._code_words))
        if row < based:
            self._base[row] = vector
        else:
            self._tail[row - based] = vector
        self._codes[row] = self._encode(vector[None, :])[0]
        self.size = max(self.size, row + 1)

    def get(self, row: int) -> FloatArray:
        based = len(self._base)
        return (self._base[row] if row < based else self._tail[row - based]).astype(np.float32)

    def rows(self, rows: npt.NDArray[np.int64]) -> FloatArray:
        """The vectors of ``rows`` (ascending), in that order, as float32."""
        based = len(self._base)
        cut = int(np.searchsorted(rows, based))
        if cut == len(rows):
            return self._base[rows].astype(np.float32)
        if cut == 0:
            return self._tail[rows - based].astype(np.float32)
        return np.concatenate([self._base[rows[:cut]], self._tail[rows[cut:] - based]]).astype(np.float32)

    @property
    def matrix(self) -> HalfArray:
        """Every row, as stored (the mapped file itself while no row was added since it was saved, else a copy)."""
        if self.size <= len(self._base):
            return self._base[: self.size]
        return np.concatenate([self._base, self._tail[: self.size - len(self._base)]])

    @property
    def codes(self) -> Codes:
        return self._codes[: self.size]

    def load(self, matrix: FloatArray) -> None:
        """Keep ``matrix`` in memory as the rows."""
        self._base = np.zeros((0, self.dims), dtype=STORED)
        self._tail = np.ascontiguousarray(matrix, dtype=STORED)
        self._codes = self._encode(matrix) if len(matrix) else np.zeros((0, self._code_words), np.uint64)
        self.size = len(matrix)

    def save(self, vectors: Path, codes: Path) -> None:
        """Write the rows (a float16 ``.npy``, written in slices: never a second copy in memory) and their codes."""
        with vectors.open("wb") as out:
            header = {"descr": np.lib.format.dtype_to_descr(np.dtype(STORED)), "fortran_order": False}
            np.lib.format.write_array_header_1_0(out, {**header, "shape": (self.size, self.dims)})
            for part in (self._base[: self.size], self._tail[: max(self.size - len(self._base), 0)]):
                for start in range(0, len(part), 65_536):
                    out.write(np.ascontiguousarray(part[start : start + 65_536]).data)
        np.save(codes, self.codes)

    def adopt(self, vectors: Path, codes: Path | None = None) -> None:
        """Map the rows saved in ``vectors`` (written by :meth:`save`); its codes read from ``codes``, else computed.

        A float32 file (saved before rows were float16) is read into memory as float16 until the next save.
        """
        mapped = np.load(vectors, mmap_mode="c").view(np.ndarray)  # np.memmap's indexing is slower
        if mapped.dtype not in (STORED, np.float32) or mapped.ndim != 2 or mapped.shape[1] != self.dims:
            raise ValueError(f"{vectors} holds {mapped.dtype} {mapped.shape}, expected float16 rows of {self.dims}")
        if codes is not None and codes.exists():
            self._codes = np.load(codes)
        else:  # saved before codes were: computed once, a slice at a time
            parts = [self._encode(np.asarray(mapped[at : at + 65_536])) for at in range(0, len(mapped), 65_536)]
            self._codes = np.concatenate(parts) if parts else np.zeros((0, self._code_words), np.uint64)
        if mapped.dtype == STORED:
            self._base, self._tail = mapped, np.zeros((1024, self.dims), dtype=STORED)
        else:
            self._base, self._tail = np.zeros((0, self.dims), dtype=STORED), mapped.astype(STORED)
        self.size = len(mapped)

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
        scores = self.rows(allowed) @ query
        top = min(k, len(allowed))
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best], kind="stable")]
        return allowed[best], scores[best]
