"""BM25 over analysed terms, as a sparse term × document matrix (Lucene's formula, k1=1.2, b=0.75)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from scipy import sparse

K1 = 1.2
B = 0.75


class TermRows:
    """Analysed terms of every row, kept as small integer arrays so a refresh is vectorised."""

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.ids: list[npt.NDArray[np.int32]] = []
        self.tfs: list[npt.NDArray[np.float32]] = []

    def set(self, row: int, terms: Sequence[str]) -> None:
        while len(self.ids) <= row:
            self.ids.append(_NO_IDS)
            self.tfs.append(_NO_TFS)
        counts = Counter(terms)
        self.ids[row] = np.fromiter(
            (self.vocabulary.setdefault(t, len(self.vocabulary)) for t in counts), dtype=np.int32, count=len(counts)
        )
        self.tfs[row] = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))

    def clear(self, row: int) -> None:
        self.ids[row], self.tfs[row] = _NO_IDS, _NO_TFS

    def flat(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """(row offsets, term ids, term frequencies) of all rows, CSR style."""
        offsets = np.zeros(len(self.ids) + 1, dtype=np.int64)
        np.cumsum([len(a) for a in self.ids], out=offsets[1:])
        ids = np.concatenate(self.ids) if self.ids else _NO_IDS
        tfs = np.concatenate(self.tfs) if self.tfs else _NO_TFS
        return offsets, ids, tfs

    @classmethod
    def from_flat(
        cls,
        vocabulary: list[str],
        offsets: npt.NDArray[np.int64],
        ids: npt.NDArray[np.int32],
        tfs: npt.NDArray[np.float32],
    ) -> TermRows:
        rows = cls()
        rows.vocabulary = {term: i for i, term in enumerate(vocabulary)}
        rows.ids = [ids[a:b] for a, b in pairwise(offsets)]
        rows.tfs = [tfs[a:b] for a, b in pairwise(offsets)]
        return rows


_NO_IDS = np.zeros(0, dtype=np.int32)
_NO_TFS = np.zeros(0, dtype=np.float32)


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
        for term, repeat in Counter(terms).items():
            column = self.vocabulary.get(term)
            if column is None:
                continue
            start, end = self._term_docs.indptr[column], self._term_docs.indptr[column + 1]
            scores[self._term_docs.indices[start:end]] += repeat * self._term_docs.data[start:end]
        return scores
