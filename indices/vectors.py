"""Vector search: exact cosine scan, or a 1-bit scan with exact rescoring once the collection is large.

Vectors are unit length, so cosine is a dot product. They are kept as bfloat16 — the upper half of
each float32, rounded to nearest (768 bytes per 384-d vector: half of float32's memory and page cache).
A component keeps 8 significant bits (relative error at most 2^-8); a cosine moves by ~5e-5, far below
the gaps between real neighbours (recall against float32 exact search: ``bench.shortlist``). numpy has
no bfloat16 type: rows are ``uint16`` and widen back to float32 by a shift, as fast as reading float32,
a few thousand rows at a time. The 1-bit index keeps the sign of each dimension (48 bytes per 384-d
vector); Hamming distance on it shortlists ``rescore`` rows that are then scored exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.uint64]
Halves = npt.NDArray[np.uint16]  # bfloat16 rows
SCORED_AT_ONCE = 4_096  # rows widened and scored per step: 6 MB of float32 for 384 dimensions, in the caches


def to_bfloat16(vectors: npt.ArrayLike) -> Halves:
    """Round float32 values to bfloat16 (to nearest, ties to even), kept as their 16 bits."""
    bits = np.ascontiguousarray(vectors, dtype=np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def from_bfloat16(halves: Halves) -> FloatArray:
    """The float32 values of bfloat16 bits (exact: their low 16 bits are zero)."""
    wide = halves.astype(np.uint32)
    wide <<= 16
    return wide.view(np.float32)


class VectorTable:
    """Bfloat16 rows with a parallel sign-bit code table (the codes always in memory).

    Rows saved in a file are memory-mapped (:meth:`adopt`): the page cache holds them, as a search
    engine's segments, so only the pages a search reads are resident (the 1-bit scan reads the codes;
    rescoring a few thousand rows). The mapping is copy-on-write: updating a saved row changes this
    process's copy only. Rows added after them are kept in memory (the tail) until the next save.
    """

    def __init__(self, dims: int, capacity: int = 1024) -> None:
        self.dims = dims
        self._base: Halves = np.zeros((0, dims), dtype=np.uint16)  # rows [0, len(_base)): mapped
        self._tail: Halves = np.zeros((capacity, dims), dtype=np.uint16)  # row r >= len(_base) at r - len(_base)
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
            self._base[row] = to_bfloat16(vector)
        else:
            self._tail[row - based] = to_bfloat16(vector)
        self._codes[row] = self._encode(vector[None, :])[0]
        self.size = max(self.size, row + 1)

    def get(self, row: int) -> FloatArray:
        based = len(self._base)
        return from_bfloat16(self._base[row] if row < based else self._tail[row - based])

    def rows(self, rows: npt.NDArray[np.int64]) -> FloatArray:
        """The vectors of ``rows`` (ascending), in that order, as float32."""
        based = len(self._base)
        cut = int(np.searchsorted(rows, based))
        if cut == len(rows):
            return from_bfloat16(self._base[rows])
        if cut == 0:
            return from_bfloat16(self._tail[rows - based])
        return from_bfloat16(np.concatenate([self._base[rows[:cut]], self._tail[rows[cut:] - based]]))

    @property
    def matrix(self) -> FloatArray:
        """Every row, as float32 (a copy: for measurements and tests, not for serving)."""
        parts = (self._base[: self.size], self._tail[: max(self.size - len(self._base), 0)])
        return from_bfloat16(np.concatenate(parts))

    @property
    def codes(self) -> Codes:
        return self._codes[: self.size]

    def load(self, matrix: FloatArray) -> None:
        """Keep ``matrix`` in memory as the rows."""
        self._base = np.zeros((0, self.dims), dtype=np.uint16)
        self._tail = to_bfloat16(matrix).reshape(len(matrix), self.dims)
        self._codes = self._encode(matrix) if len(matrix) else np.zeros((0, self._code_words), np.uint64)
        self.size = len(matrix)

    def save(self, vectors: Path, codes: Path) -> None:
        """Write the rows (bfloat16 bits in a uint16 ``.npy``, written in slices: never a second copy in memory)
        and their codes."""
        with vectors.open("wb") as out:
            header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint16)), "fortran_order": False}
            np.lib.format.write_array_header_1_0(out, {**header, "shape": (self.size, self.dims)})
            for part in (self._base[: self.size], self._tail[: max(self.size - len(self._base), 0)]):
                for start in range(0, len(part), 65_536):
                    out.write(np.ascontiguousarray(part[start : start + 65_536]).data)
        np.save(codes, self.codes)

    def adopt(self, vectors: Path, codes: Path | None = None) -> None:
        """Map the rows saved in ``vectors`` (written by :meth:`save`); its codes read from ``codes``, else computed.

        A float32 file (saved before rows were bfloat16) is read into memory as bfloat16 until the next save.
        """
        mapped = np.load(vectors, mmap_mode="c").view(np.ndarray)  # np.memmap's indexing is slower
        if mapped.dtype not in (np.uint16, np.float32) or mapped.ndim != 2 or mapped.shape[1] != self.dims:
            raise ValueError(f"{vectors} holds {mapped.dtype} {mapped.shape}, expected bfloat16 rows of {self.dims}")
        if codes is not None and codes.exists():
            self._codes = np.load(codes)
        else:  # saved before codes were: computed once, a slice at a time
            widen = from_bfloat16 if mapped.dtype == np.uint16 else np.asarray
            parts = [self._encode(widen(mapped[at : at + 65_536])) for at in range(0, len(mapped), 65_536)]
            self._codes = np.concatenate(parts) if parts else np.zeros((0, self._code_words), np.uint64)
        if mapped.dtype == np.uint16:
            self._base, self._tail = mapped, np.zeros((1024, self.dims), dtype=np.uint16)
        else:
            rounded = [to_bfloat16(mapped[at : at + 65_536]) for at in range(0, len(mapped), 65_536)]
            self._base = np.zeros((0, self.dims), dtype=np.uint16)
            self._tail = np.concatenate(rounded) if rounded else np.zeros((1024, self.dims), dtype=np.uint16)
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
        scores = np.empty(len(allowed), dtype=np.float32)
        for at in range(0, len(allowed), SCORED_AT_ONCE):  # widened a slice at a time, not every row at once
            part = allowed[at : at + SCORED_AT_ONCE]
            scores[at : at + len(part)] = self.rows(part) @ query
        top = min(k, len(allowed))
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best], kind="stable")]
        return allowed[best], scores[best]
