import numpy as np

from indices.vectors import VectorTable, from_bfloat16, to_bfloat16


def unit_rows(n: int, dims: int, seed: int = 0) -> np.ndarray:
    data = np.random.default_rng(seed).normal(size=(n, dims)).astype(np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


def test_exact_search_returns_true_top_k_in_order() -> None:
    vectors = unit_rows(500, 32)
    table = VectorTable(32, capacity=4)
    for row, vector in enumerate(vectors):
        table.set(row, vector)
    query = vectors[7]
    rows, scores = table.search(query, np.ones(500, bool), 5, approximate=False, rescore=100)
    expected = np.argsort(-(vectors @ query))[:5]
    assert rows.tolist() == expected.tolist()
    assert np.all(np.diff(scores) <= 0)


def test_approximate_search_respects_mask_and_keeps_recall() -> None:
    vectors = unit_rows(5000, 64, seed=1)
    table = VectorTable(64)
    table.load(vectors)
    mask = np.zeros(5000, bool)
    mask[::2] = True
    recall = []
    for q in range(20):
        query = vectors[q * 3 + 1]
        rows, _ = table.search(query, mask, 10, approximate=True, rescore=500)
        assert mask[rows].all()
        exact = np.flatnonzero(mask)[np.argsort(-(vectors[mask] @ query))[:10]]
        recall.append(len(set(rows) & set(exact)) / 10)
    assert np.mean(recall) >= 0.9


def test_rows_are_kept_as_bfloat16_and_scored_within_its_rounding(tmp_path) -> None:
    vectors = unit_rows(300, 384, seed=2)
    table = VectorTable(384)
    table.load(vectors)
    query = vectors[5]
    rows, scores = table.search(query, np.ones(300, bool), 300, approximate=False, rescore=300)
    assert scores.dtype == np.float32
    assert np.abs(scores - vectors[rows] @ query).max() < 1e-3
    assert np.all(np.abs(table.get(9) - vectors[9]) <= np.abs(vectors[9]) * 2**-8)  # 8 significant bits kept
    assert np.abs(table.get(9) - vectors[9]).max() > 0  # and not more: the rows really are half size
    table.save(tmp_path / "vectors.npy", tmp_path / "codes.npy")
    saved = np.load(tmp_path / "vectors.npy")
    assert saved.dtype == np.uint16 and saved.nbytes == 300 * 384 * 2


def test_bfloat16_rounds_to_nearest_and_widens_exactly() -> None:
    values = np.array([1.0, -0.5, 1 + 2**-8, 1 + 3 * 2**-9, 0.1, -3e-5, 0.0], dtype=np.float32)
    widened = from_bfloat16(to_bfloat16(values))
    assert widened.tolist()[:4] == [1.0, -0.5, 1.0, 1 + 2**-7]  # ties to even, else to nearest
    assert np.all(np.abs(widened - values) <= np.abs(values) * 2**-8)
    np.testing.assert_array_equal(from_bfloat16(to_bfloat16(widened)), widened)  # a bfloat16 value is kept as is


def test_a_float32_file_saved_by_the_former_version_answers_as_bfloat16_rows(tmp_path) -> None:
    vectors = unit_rows(200, 64, seed=3)
    np.save(tmp_path / "vectors.npy", vectors)  # the former format: float32 rows, no codes file
    former, current = VectorTable(64), VectorTable(64)
    former.adopt(tmp_path / "vectors.npy")
    current.load(vectors)
    for q in (0, 17, 99):
        found, expected = (
            t.search(vectors[q], np.ones(200, bool), 10, approximate=False, rescore=50) for t in (former, current)
        )
        assert found[0].tolist() == expected[0].tolist()
        assert np.array_equal(found[1], expected[1])
    former.set(200, vectors[0])  # rows added after a former file's: kept with the others
    assert former.size == 201 and np.array_equal(former.get(200), former.get(0))
