import numpy as np

from indices.vectors import VectorTable


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
