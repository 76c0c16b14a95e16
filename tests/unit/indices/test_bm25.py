from collections import Counter

import numpy as np
import pytest

from indices.bm25 import BM25Matrix, TermRows


def term_rows(rows: list[Counter[str] | None]) -> TermRows:
    out = TermRows()
    for row, counts in enumerate(rows):
        out.set(row, list(counts.elements()) if counts else [])
    return out


def test_matches_lucene_formula() -> None:
    rows = [Counter({"a": 2, "b": 1}), Counter({"b": 1}), None, Counter({"c": 3})]
    scores = BM25Matrix(term_rows(rows)).scores(["a"])
    n, df, avg = 3, 1, (3 + 1 + 3) / 3
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    expected = idf * 2 * 2.2 / (2 + 1.2 * (1 - 0.75 + 0.75 * 3 / avg))
    assert scores[0] == pytest.approx(expected, rel=1e-5)
    assert scores[1] == scores[2] == scores[3] == 0


def test_rarer_terms_weigh_more_and_unknown_terms_are_ignored() -> None:
    rows = [Counter({"common": 1, "rare": 1}), Counter({"common": 1}), Counter({"common": 1})]
    matrix = BM25Matrix(term_rows(rows))
    assert matrix.scores(["rare"])[0] > matrix.scores(["common"])[0]
    assert not matrix.scores(["missing"]).any()
