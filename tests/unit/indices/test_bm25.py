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


def test_term_rows_rewritten_and_cleared_in_place_flatten_as_rows_built_afresh() -> None:
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(30)]
    rows, expected = TermRows(), {}
    for _ in range(2_000):
        row = int(rng.integers(0, 300))
        if rng.random() < 0.2:
            rows.clear(row)
            expected[row] = []
        else:
            expected[row] = list(rng.choice(words, size=int(rng.integers(0, 8))))
            rows.set(row, expected[row])
        if rng.random() < 0.01:
            rows.flat()  # compacts: later writes append after the compacted runs
    offsets, ids, tfs = rows.flat()
    for row in range(max(expected) + 1):
        counts = Counter(expected.get(row, []))
        assert ids[offsets[row] : offsets[row + 1]].tolist() == [rows.vocabulary[t] for t in counts]
        assert tfs[offsets[row] : offsets[row + 1]].tolist() == list(counts.values())
    assert offsets[-1] == len(ids) == len(tfs)
    fresh = term_rows([Counter(expected.get(row, [])) for row in range(max(expected) + 1)])
    query = ["w1", "w2", "w2", "w17"]
    assert BM25Matrix(rows).scores(query).tolist() == BM25Matrix(fresh).scores(query).tolist()


def test_scores_are_the_sums_of_each_query_terms_weights_in_query_order_to_the_bit() -> None:
    rng = np.random.default_rng(8)
    words = [f"w{i}" for i in range(200)]
    rows = term_rows([Counter(rng.choice(words, size=int(rng.integers(0, 40)))) for _ in range(3_000)])
    matrix = BM25Matrix(rows)
    postings = matrix._term_docs
    for _ in range(20):
        query = list(rng.choice([*words, "unknown"], size=int(rng.integers(1, 60))))
        expected = np.zeros(matrix.n_rows, dtype=np.float32)
        for term, repeat in Counter(query).items():  # the plain numpy accumulation, term by term
            if term in matrix.vocabulary:
                column = matrix.vocabulary[term]
                start, end = postings.indptr[column], postings.indptr[column + 1]
                expected[postings.indices[start:end]] += repeat * postings.data[start:end]
        assert matrix.scores(query).tobytes() == expected.tobytes()


def test_term_counts_take_two_bytes_capped_and_former_float32_counts_load_the_same() -> None:
    rows = [Counter({"a": 2, "b": 1}), Counter({"b": 70_000}), Counter({"a": 1, "c": 3})]
    built = term_rows(rows)
    offsets, ids, tfs = built.flat()
    assert tfs.dtype == np.uint16 and tfs.tolist() == [2, 1, 65_535, 1, 3]  # capped, never wrapped
    # An index saved by the former version holds float32 counts: read back, it scores exactly as one built now.
    former = TermRows.from_flat(list(built.vocabulary), offsets, ids, tfs.astype(np.float32))
    for query in (["a"], ["b", "c"], ["a", "b", "c", "a"]):
        np.testing.assert_array_equal(BM25Matrix(former).scores(query), BM25Matrix(built).scores(query))


def test_terms_no_row_holds_leave_the_vocabulary_and_scores_stay_those_of_the_rows_left() -> None:
    rows = term_rows([Counter({"jardinier": 1, "dupont": 2}), Counter({"jardinier": 1, "ville": 1}), None])
    rows.clear(0)
    rows.set(1, ["jardinier", "parc"])  # "ville" is no longer held either
    _, ids, _ = rows.flat()
    assert set(rows.vocabulary) == {"jardinier", "parc"}
    assert sorted(rows.vocabulary.values()) == [0, 1] and set(ids.tolist()) == {0, 1}
    afresh = term_rows([None, Counter({"jardinier": 1, "parc": 1}), None])
    for query in (["jardinier"], ["parc", "dupont"], ["ville"]):
        np.testing.assert_array_equal(BM25Matrix(rows).scores(query), BM25Matrix(afresh).scores(query))
