from pathlib import Path

import numpy as np
import pytest

from indices import Document, GeoDistance, Ids, Terms, WithinReach
from indices.embedded import EmbeddedBackend
from indices.errors import IndexNotFound
from indices.hybrid import hybrid_search


def vec(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


LYON, PARIS, AUBENAS = (45.757, 4.832), (48.857, 2.352), (44.620, 4.390)


def corpus() -> list[Document]:
    return [
        Document(
            "gardener",
            1,
            "Jardinier des espaces verts de la ville",
            vec(1, 0, 0, 0),
            {"status": ["visible"], "contract": ["cdd"]},
            [LYON],
            30,
        ),
        Document(
            "accountant",
            1,
            "Comptable public, gestion budgétaire",
            vec(0, 1, 0, 0),
            {"status": ["visible"], "contract": ["cdi", "cdd"]},
            [PARIS],
            20,
        ),
        Document("nurse", 1, "Infirmière en EHPAD", vec(0, 0, 1, 0), {"status": ["hidden"]}, [AUBENAS, LYON], 10),
    ]


@pytest.fixture
def backend() -> EmbeddedBackend:
    b = EmbeddedBackend()
    b.ensure_index("docs", dims=4)
    b.upsert("docs", corpus())
    return b


def test_bm25_uses_french_analysis(backend: EmbeddedBackend) -> None:
    assert [h.id for h in backend.bm25("docs", "jardiniers espace vert")] == ["gardener"]
    assert [h.id for h in backend.bm25("docs", "COMPTABLES PUBLICS, budgétaires")] == ["accountant"]


def test_filters(backend: EmbeddedBackend) -> None:
    q = vec(1, 1, 1, 1)
    ids = lambda filters: sorted(h.id for h in backend.knn("docs", q, filters=filters, k=10))  # noqa: E731
    assert ids([Terms("status", ("visible",))]) == ["accountant", "gardener"]
    assert ids([Terms("contract", ("cdd",)), Terms("status", ("visible",))]) == ["accountant", "gardener"]
    assert ids([Ids(("nurse", "unknown"))]) == ["nurse"]
    assert ids([GeoDistance((PARIS,), 5)]) == ["accountant"]
    assert ids([GeoDistance((PARIS, AUBENAS), 5)]) == ["accountant", "nurse"]
    # Villeurbanne is 5 km from Lyon: inside the gardener's 30 km and the nurse's 10 km around Lyon.
    assert ids([WithinReach(45.771, 4.880)]) == ["gardener", "nurse"]
    # Vienne is ~27 km from Lyon: only the gardener accepts it.
    assert ids([WithinReach(45.525, 4.874)]) == ["gardener"]


def test_versions_reject_stale_writes_and_survive_delete(backend: EmbeddedBackend) -> None:
    newer = Document("gardener", 3, "Chef jardinier", vec(1, 0, 0, 0))
    assert backend.upsert("docs", [newer]).written == ["gardener"]
    for _ in range(10):
        assert backend.upsert("docs", [Document("gardener", 2, "old", vec(0, 1, 0, 0))]).stale == ["gardener"]
    assert backend.versions("docs")["gardener"] == 3
    assert backend.delete("docs", [("gardener", 4)]).written == ["gardener"]
    assert backend.upsert("docs", [newer]).stale == ["gardener"]  # a replayed write cannot resurrect it
    assert "gardener" not in backend.versions("docs")
    assert backend.count("docs") == 2
    assert backend.upsert("docs", [Document("gardener", 5, "Jardinier", vec(1, 0, 0, 0))]).written == ["gardener"]


def test_bad_documents_are_reported_not_dropped(backend: EmbeddedBackend) -> None:
    result = backend.upsert("docs", [Document("bad", 1, "x", vec(1, 0)), Document("good", 1, "y", vec(0, 0, 0, 1))])
    assert result.written == ["good"] and "bad" in result.failed


def test_persists_and_reloads(tmp_path: Path) -> None:
    first = EmbeddedBackend(tmp_path)
    first.ensure_index("docs", dims=4)
    first.upsert("docs", corpus())
    first.delete("docs", [("nurse", 2)])
    first.flush()
    again = EmbeddedBackend(tmp_path)
    assert again.versions("docs") == {"gardener": 1, "accountant": 1}
    assert [h.id for h in again.bm25("docs", "comptable")] == ["accountant"]
    assert again.upsert("docs", [Document("nurse", 1, "x", vec(0, 0, 1, 0))]).stale == ["nurse"]
    np.testing.assert_allclose(again.vectors("docs", ["gardener"])["gardener"], vec(1, 0, 0, 0))


def test_unknown_index() -> None:
    with pytest.raises(IndexNotFound):
        EmbeddedBackend().count("nope")


def test_hybrid_fuses_both_lists(backend: EmbeddedBackend) -> None:
    hits = hybrid_search(backend, "docs", text="comptable", vector=vec(1, 0, 0, 0), k=3)
    by_id = {h.id: h for h in hits}
    assert by_id["accountant"].bm25_rank == 1 and by_id["gardener"].dense_rank == 1
    assert by_id["gardener"].bm25 is None and by_id["accountant"].cosine is not None
    assert hits[0].id in {"accountant", "gardener"} and len(hits) == 3


def test_approximate_path_used_on_large_collections() -> None:
    rng = np.random.default_rng(3)
    data = rng.normal(size=(3000, 16)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    b = EmbeddedBackend(ann_threshold=1000, rescore=300)
    b.ensure_index("big", dims=16)
    b.upsert("big", [Document(str(i), 1, "", v, {"even": ["yes" if i % 2 == 0 else "no"]}) for i, v in enumerate(data)])
    hits = b.knn("big", data[10], filters=[Terms("even", ("yes",))], k=5)
    assert hits[0].id == "10" and all(int(h.id) % 2 == 0 for h in hits)


def test_index_built_by_another_analyzer_is_reanalysed(tmp_path: Path) -> None:
    import orjson

    first = EmbeddedBackend(tmp_path)
    first.ensure_index("docs", dims=4)
    first.upsert("docs", corpus())
    first.flush()
    meta_path = tmp_path / "docs" / "meta.json"
    meta = orjson.loads(meta_path.read_bytes())
    meta["analyzer"], meta["vocabulary"] = -1, ["stale-term" for _ in meta["vocabulary"]]
    meta_path.write_bytes(orjson.dumps(meta))
    again = EmbeddedBackend(tmp_path)
    assert [h.id for h in again.bm25("docs", "jardinier")] == ["gardener"]
    assert again.bm25("docs", "stale-term") == []
