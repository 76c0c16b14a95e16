"""BM25 over analysed terms, as a sparse term × document matrix (Lucene's formula, k1=1.2, b=0.75)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import _sparsetools

_T = TypeVar("_T", bound=np.generic)

K1 = 1.2
B = 0.75
TF = np.uint16  # a term's count in a row (capped at 65,535): 2 bytes a pair instead of float32's 4
TF_MAX = int(np.iinfo(TF).max)


class TermRows:
    """Analysed terms of every row as flat arrays (CSR style), so a refresh is vectorised.

    A row's (term id, frequency) pairs are one run of ``_ids``/``_tfs``; writing a row appends its new
    run (the old one is left unused) and :meth:`flat` compacts. No Python object per row: 1M rows hold
    tens of millions of pairs.
    """

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self._ids = np.zeros(1024, dtype=np.int32)
        self._tfs = np.zeros(1024, dtype=TF)
        self._used = 0  # pairs written in _ids/_tfs
        self._start = np.zeros(1024, dtype=np.int64)  # each row's run
        self._count = np.zeros(1024, dtype=np.int64)
        self._rows = 0

    def set(self, row: int, terms: Sequence[str]) -> None:
        if row >= len(self._start):
            grow = max(row + 1, 2 * len(self._start))
            self._start = _grown(self._start, grow)
            self._count = _grown(self._count, grow)
        counts = Counter(terms)
        end = self._used + len(counts)
        if end > len(self._ids):
            grow = max(end, len(self._ids) + len(self._ids) // 2)
            self._ids, self._tfs = _grown(self._ids, grow), _grown(self._tfs, grow)
        self._ids[self._used : end] = np.fromiter(
            (self.vocabulary.setdefault(t, len(self.vocabulary)) for t in counts), dtype=np.int32, count=len(counts)
        )
        self._tfs[self._used : end] = np.fromiter(
            (min(c, TF_MAX) for c in counts.values()), dtype=TF, count=len(counts)
        )
        self._start[row], self._count[row] = self._used, len(counts)
        self._used = end
        self._rows = max(self._rows, row + 1)

    def clear(self, row: int) -> None:
        if row < self._rows:
            self._count[row] = 0

    def flat(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.uint16]]:
        """(row offsets, term ids, term frequencies) of all rows, CSR style (read-only views)."""
        counts = self._count[: self._rows]
        offsets = np.zeros(self._rows + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        total = int(offsets[-1])
        if total != self._used or not np.array_equal(self._start[: self._rows][counts > 0], offsets[:-1][counts > 0]):
            # rows rewritten or cleared: their runs in row order, unused pairs dropped
            take = np.repeat(self._start[: self._rows] - offsets[:-1], counts) + np.arange(total)
            self._ids, self._tfs = self._ids[take], self._tfs[take]
            self._start[: self._rows] = offsets[:-1]
            self._used = total
            self._forget_unused_terms()
        elif len(self._ids) > total:  # the room kept for appends is given back until the next write
            self._ids, self._tfs = self._ids[:total].copy(), self._tfs[:total].copy()
        ids, tfs = self._ids[:total], self._tfs[:total]
        ids.flags.writeable = tfs.flags.writeable = offsets.flags.writeable = False
        return offsets, ids, tfs

    def _forget_unused_terms(self) -> None:
        """Drop terms no row holds any more (a deleted person's words leave the vocabulary, and the saved index)."""
        used = np.bincount(self._ids[: self._used], minlength=len(self.vocabulary)) > 0
        if used.all():
            return
        renumbered = (np.cumsum(used) - 1).astype(np.int32)
        self._ids = renumbered[self._ids[: self._used]]
        # A new dict: a BM25Matrix built before keeps the vocabulary its columns were numbered by.
        self.vocabulary = {term: int(renumbered[i]) for term, i in self.vocabulary.items() if used[i]}

    @classmethod
    def from_flat(
        cls,
        vocabulary: list[str],
        offsets: npt.NDArray[np.int64],
        ids: npt.NDArray[np.int32],
        tfs: npt.NDArray[np.generic],
    ) -> TermRows:
        """Rows from :meth:`flat`'s arrays (frequencies saved as float32 by former versions are read too)."""
        rows = cls()
        rows.vocabulary = {term: i for i, term in enumerate(vocabulary)}
        rows._ids = np.array(ids, dtype=np.int32)
        rows._tfs = np.minimum(tfs, TF_MAX).astype(TF)
        rows._used = len(ids)
        rows._start = np.array(offsets[:-1], dtype=np.int64)
        rows._count = np.diff(offsets).astype(np.int64)
        rows._rows = len(offsets) - 1
        return rows


def _grown(array: npt.NDArray[_T], size: int) -> npt.NDArray[_T]:
    grown = np.zeros(size, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


class BM25Matrix:
    """Immutable BM25 weights for a set of rows; rebuilt after writes (like a search engine refresh)."""

    def __init__(self, rows: TermRows) -> None:
        offsets, indices, counts = rows.flat()
        self.vocabulary = rows.vocabulary
        self.n_rows = len(offsets) - 1
        row_of_entry = np.repeat(np.arange(self.n_rows), np.diff(offsets))
        lengths = np.bincount(row_of_entry, weights=counts, minlength=self.n_rows).astype(np.float32)
        doc_terms = sparse.csr_matrix((counts.copy(), indices, offsets), shape=(self.n_rows, len(self.vocabulary)))
        live = lengths > 0
        n_docs = max(int(live.sum()), 1)
        avg_length = float(lengths[live].mean()) if live.any() else 1.0
        df = np.bincount(doc_terms.indices, minlength=len(self.vocabulary)).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = np.repeat(K1 * (1 - B + B * lengths / avg_length), np.diff(doc_terms.indptr))
        tf = doc_terms.data
        doc_terms.data = idf[doc_terms.indices] * tf * (K1 + 1) / (tf + norm)
        self._term_docs = doc_terms.T.tocsr()  # one row per term: fast postings

    def scores(self, terms: Sequence[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every row for the query terms (0 where no term matches)."""
        scores = np.zeros(self.n_rows, dtype=np.float32)
        postings = self._term_docs
        for term, repeat in Counter(terms).items():
            column = self.vocabulary.get(term)
            if column is None:
                continue
            start, end = postings.indptr[column], postings.indptr[column + 1]
            # scores[rows] += repeat * weights in one pass (numpy's fancy += gathers, adds, then scatters:
            # ~5x slower over 1M rows); the same float32 products and sums, so the same scores to the bit.
            _sparsetools.csc_matvec(
                self.n_rows,
                1,
                np.array([0, end - start], dtype=postings.indices.dtype),
                postings.indices[start:end],
                postings.data[start:end],
                np.array([repeat], dtype=np.float32),
                scores,
            )
        return scores
