"""BM25 over analysed terms, as a sparse term × document matrix (Lucene's formula, k1=1.2, b=0.75)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

K1 = 1.2
B = 0.75


class BM25Matrix:
    """Immutable BM25 weights for a set of rows; rebuilt after writes (like a search engine refresh)."""

    def __init__(self, rows: Sequence[Counter[str] | None]) -> None:
        vocabulary: dict[str, int] = {}
        indptr, indices, counts = [0], [], []
        lengths = np.zeros(len(rows), dtype=np.float32)
        for row, terms in enumerate(rows):
            if terms:
                for term, tf in terms.items():
                    indices.append(vocabulary.setdefault(term, len(vocabulary)))
                    counts.append(tf)
                lengths[row] = sum(terms.values())
            indptr.append(len(indices))
        self.vocabulary = vocabulary
        self.n_rows = len(rows)
        doc_terms = sparse.csr_matrix(
            (np.asarray(counts, dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(len(rows), len(vocabulary)),
        )
        live = lengths > 0
        n_docs = max(int(live.sum()), 1)
        avg_length = float(lengths[live].mean()) if live.any() else 1.0
        df = np.bincount(doc_terms.indices, minlength=len(vocabulary)).astype(np.float32)
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
