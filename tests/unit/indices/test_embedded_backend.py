from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from indices import Document, GeoDistance, Ids, Terms, WithinReach
from indices.embedded import EmbeddedBackend, best_rows
from indices.errors import IndexNotFound
from indices.geo import haversine_km
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


def test_geo_filters_keep_what_measuring_every_point_keeps() -> None:
    """Points skipped by their latitude alone are out of reach: the filters equal a scan of every point."""
    rng = np.random.default_rng(7)
    places = np.column_stack([rng.uniform(41.0, 51.0, 3_000), rng.uniform(-5.0, 9.0, 3_000)])
    places[:50] = np.array([-21.1, 55.5]) + rng.normal(0, 0.3, (50, 2))  # La Réunion: far from every query but its own
    reaches = [None if i % 17 == 0 else float(r) for i, r in enumerate(rng.choice([5, 10, 30, 50, 100, 400], 1_000))]
    backend = EmbeddedBackend()
    backend.ensure_index("docs", dims=4)
    backend.upsert(
        "docs",
        [
            Document(f"d{i}", 1, "", vec(1, 0, 0, 0), {}, [tuple(p) for p in places[3 * i : 3 * i + 3]], reaches[i])
            for i in range(1_000)
        ],
    )
    kept = lambda flt: {h.id for h in backend.knn("docs", vec(1, 0, 0, 0), filters=[flt], k=1_000)}  # noqa: E731
    found = []
    for lat, lon in [*places[rng.choice(3_000, 40)], (45.757, 4.832), (-21.0, 55.4), (0.0, 0.0)]:
        distances = haversine_km(lat, lon, places[:, 0], places[:, 1])
        reaching = {f"d{i // 3}" for i in np.flatnonzero(distances <= [reaches[i // 3] or -1.0 for i in range(3_000)])}
        assert kept(WithinReach(float(lat), float(lon))) == reaching
        for km in (1.0, 25.0, 300.0):
            within = {f"d{i // 3}" for i in np.flatnonzero(distances <= km)}
            assert kept(GeoDistance(((float(lat), float(lon)),), km)) == within
        found.append(len(reaching))
    assert min(found[:-1]) > 0 and found[-1] == 0  # sets compared are not all empty; nobody reaches (0, 0)


def test_best_rows_are_a_stable_sorts_first_k() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 20, 5_000).astype(np.float32)  # many ties
    rows = np.flatnonzero(scores > 2)
    for k in (0, 1, 10, 100, len(rows) - 1, len(rows), len(rows) + 5):
        assert best_rows(rows, scores, k).tolist() == rows[np.argsort(-scores[rows], kind="stable")[:k]].tolist()


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


def test_the_count_follows_writes_deletes_and_reloads(tmp_path: Path) -> None:
    """The count is kept as documents come and go (not recounted): it must agree with the live documents."""
    backend = EmbeddedBackend(tmp_path)
    backend.ensure_index("docs", dims=4)
    backend.upsert("docs", corpus())
    assert backend.count("docs") == 3
    backend.upsert("docs", [Document("gardener", 2, "Jardinier", vec(1, 0, 0, 0))])  # an update: still 3
    backend.delete("docs", [("nurse", 2), ("nurse", 3), ("unknown", 1)])  # twice, and one never written
    assert backend.count("docs") == 2 == len(backend.versions("docs"))
    backend.upsert(
        "docs", [Document("nurse", 4, "Infirmier", vec(0, 0, 1, 0)), Document("new", 1, "x", vec(0, 0, 0, 1))]
    )
    assert backend.count("docs") == 4 == len(backend.versions("docs"))
    backend.flush()
    assert EmbeddedBackend(tmp_path).count("docs") == 4


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


def test_a_deleted_document_leaves_neither_its_text_nor_its_vector_in_the_saved_files(tmp_path: Path) -> None:
    """Erasure reaches the index's files: what stays of a deleted row is its id and version (the tombstone)."""
    first = EmbeddedBackend(tmp_path)
    first.ensure_index("docs", dims=4)
    first.upsert("docs", corpus())
    first.flush()  # the nurse's row is now in the mapped files
    first.delete("docs", [("nurse", 2)])
    first.flush()
    folder = tmp_path / "docs"
    saved = b"".join(path.read_bytes() for path in folder.iterdir())
    for word in ("EHPAD", "ehpad", "Infirmière", "infirmi"):  # the text, and its analysed terms
        assert word.encode() not in saved, word
    rows = np.load(folder / "vectors.npy")
    assert rows.dtype == np.uint16 and rows.shape == (3, 4)
    assert np.count_nonzero(rows[2]) == 0 and np.count_nonzero(rows[:2]) > 0  # the nurse was written third


def test_unknown_index() -> None:
    with pytest.raises(IndexNotFound):
        EmbeddedBackend().count("nope")


def test_hybrid_fuses_both_lists(backend: EmbeddedBackend) -> None:
    hits = hybrid_search(backend, "docs", text="comptable", vector=vec(1, 0, 0, 0), k=3)
    by_id = {h.id: h for h in hits}
    assert by_id["accountant"].bm25_rank == 1 and by_id["gardener"].dense_rank == 1
    assert by_id["gardener"].bm25 is None and by_id["accountant"].cosine is not None
    assert hits[0].id in {"accountant", "gardener"} and len(hits) == 3


def test_hybrid_completes_the_scores_its_other_retriever_did_not_return(backend: EmbeddedBackend) -> None:
    query = vec(0.2, 1, 0.5, 0)  # the accountant first by vector, the nurse first by words
    ask = {"text": "infirmière comptable", "vector": query, "k": 3, "depth": 1}
    plain = hybrid_search(backend, "docs", **ask)
    full = hybrid_search(backend, "docs", **ask, complete=True)
    assert [(h.id, h.score, h.bm25_rank, h.dense_rank) for h in full] == [
        (h.id, h.score, h.bm25_rank, h.dense_rank) for h in plain
    ]
    lexical_only = [h for h in full if h.dense_rank is None]
    dense_only = [h for h in full if h.bm25_rank is None]
    assert lexical_only and dense_only
    stored = backend.vectors("docs", [h.id for h in lexical_only])
    assert [h.cosine for h in lexical_only] == [float(stored[h.id] @ query) for h in lexical_only]
    assert all(h.cosine is not None and h.cosine > 0 for h in lexical_only)
    words = {h.id: h.score for h in backend.bm25("docs", "infirmière comptable", k=10)}
    assert [h.bm25 for h in dense_only] == [words.get(h.id, 0.0) for h in dense_only]
    assert any(h.bm25 for h in dense_only), "one kNN-only hit matches a query word: its BM25 is not 0"


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


def random_documents(rng: np.random.Generator, ids: range, version: int) -> list[Document]:
    words = ["jardinier", "comptable", "infirmier", "chauffeur", "agent", "technicien", "paris", "lyon", "nuit"]
    docs = []
    for i in ids:
        vector = rng.normal(size=16).astype(np.float32)
        text = " ".join(rng.choice(words, size=int(rng.integers(0, 12))))
        contract = ["cdd", "cdi"][: int(rng.integers(0, 3))]
        place = [(float(rng.uniform(43, 50)), float(rng.uniform(-1, 7)))] if i % 5 else []
        reach = [None, 10.0, 50.0][i % 3]
        keywords = {"contract": contract, "parity": ["even" if i % 2 == 0 else "odd"]}
        docs.append(Document(f"d{i}", version, text, vector / np.linalg.norm(vector), keywords, place, reach))
    return docs


def answers(backend: EmbeddedBackend, rng: np.random.Generator) -> list[object]:
    """Every kind of search, with and without filters, as (id, score) lists."""
    out: list[object] = []
    filter_sets = [(), (Terms("contract", ("cdi",)),), (Terms("parity", ("even",)), WithinReach(46.5, 3.0))]
    for filters in filter_sets:
        for text in ("jardinier agent", "comptable nuit paris", "inconnu"):
            out.append([(h.id, h.score) for h in backend.bm25("docs", text, filters=filters, k=20)])
        query = rng.normal(size=16).astype(np.float32)
        out.append([(h.id, h.score) for h in backend.knn("docs", query / np.linalg.norm(query), filters=filters, k=20)])
    out.append(sorted(backend.versions("docs").items()))
    out.append(backend.count("docs"))
    return out


def test_saved_and_reloaded_index_answers_exactly_as_one_kept_in_memory(tmp_path: Path) -> None:
    """Vectors mapped from the saved file, texts read back from theirs, term rows rewritten in place: same answers."""
    memory, saved = EmbeddedBackend(ann_threshold=100, rescore=50), EmbeddedBackend(tmp_path, ann_threshold=100)
    saved.rescore = 50
    steps = [
        lambda b: b.upsert("docs", random_documents(np.random.default_rng(1), range(300), 1)),
        lambda b: b.upsert("docs", random_documents(np.random.default_rng(2), range(250, 400), 2)),  # updates, new rows
        lambda b: b.delete("docs", [(f"d{i}", 3) for i in range(0, 400, 7)]),
        lambda b: b.upsert("docs", random_documents(np.random.default_rng(3), range(0, 60, 7), 4)),  # back after delete
    ]
    for b in (memory, saved):
        b.ensure_index("docs", dims=16)
    for step in steps:
        step(memory)
        step(saved)
        saved.flush()
        reloaded = EmbeddedBackend(tmp_path, ann_threshold=100, rescore=50)
        for other in (saved, reloaded):  # the saved one now maps the file it wrote
            assert answers(other, np.random.default_rng(9)) == answers(memory, np.random.default_rng(9))
        assert reloaded.vectors("docs", ["d1", "d399"]).keys() == memory.vectors("docs", ["d1", "d399"]).keys()
        for doc_id, vector in memory.vectors("docs", ["d1", "d7", "d399"]).items():
            assert np.array_equal(reloaded.vectors("docs", [doc_id])[doc_id], vector)
        saved = reloaded


def test_texts_survive_saves_and_are_analysed_again_after_updates(tmp_path: Path) -> None:
    import orjson

    first = EmbeddedBackend(tmp_path)
    first.ensure_index("docs", dims=4)
    first.upsert("docs", corpus())
    first.flush()
    second = EmbeddedBackend(tmp_path)  # texts now read from the saved file
    second.upsert("docs", [Document("accountant", 2, "Comptable territorial", vec(0, 1, 0, 0))])
    second.upsert("docs", [Document("driver", 1, "Chauffeur poids lourd", vec(0, 0, 0, 1))])
    second.delete("docs", [("nurse", 2)])
    second.flush()
    meta_path = tmp_path / "docs" / "meta.json"
    meta = orjson.loads(meta_path.read_bytes())
    meta["analyzer"] = -1
    meta_path.write_bytes(orjson.dumps(meta))
    again = EmbeddedBackend(tmp_path)
    assert [h.id for h in again.bm25("docs", "jardinier")] == ["gardener"]
    assert [h.id for h in again.bm25("docs", "territorial")] == ["accountant"]
    assert [h.id for h in again.bm25("docs", "chauffeur")] == ["driver"]
    assert again.bm25("docs", "infirmière") == [] and again.bm25("docs", "publics") == []


def test_documents_sharing_keywords_and_points_are_updated_one_at_a_time(backend: EmbeddedBackend) -> None:
    twin = Document("twin", 1, "Jardinier", vec(1, 0, 0, 0), {"status": ["visible"], "contract": ["cdd"]}, [LYON], 30)
    backend.upsert("docs", [twin])
    backend.upsert("docs", [Document("gardener", 2, "Jardinier", vec(1, 0, 0, 0), {"status": ["hidden"]}, [PARIS], 5)])
    visible = backend.knn("docs", vec(1, 0, 0, 0), filters=[Terms("status", ("visible",))], k=10)
    assert "twin" in {h.id for h in visible} and "gardener" not in {h.id for h in visible}
    near_lyon = backend.knn("docs", vec(1, 0, 0, 0), filters=[WithinReach(*LYON)], k=10)
    assert "twin" in {h.id for h in near_lyon} and "gardener" not in {h.id for h in near_lyon}


def test_an_index_saved_in_the_previous_format_loads_and_answers_the_same(tmp_path: Path) -> None:
    """Texts and keywords in meta.json, no codes file: read as before, written in the new format on the next save."""
    import orjson

    first = EmbeddedBackend(tmp_path, ann_threshold=100, rescore=50)
    first.ensure_index("docs", dims=16)
    first.upsert("docs", random_documents(np.random.default_rng(4), range(300), 1))
    first.flush()
    expected = answers(first, np.random.default_rng(9))
    folder = tmp_path / "docs"
    meta = orjson.loads((folder / "meta.json").read_bytes())
    offsets = np.load(folder / "texts.npy").tolist()
    saved = (folder / "texts.bin").read_bytes()
    meta["texts"] = [saved[a:b].decode() for a, b in pairwise(offsets)]
    with np.load(folder / "keywords.npz") as arrays:
        names = meta.pop("keyword_terms")
        rows = [arrays["ids"][a:b] for a, b in pairwise(arrays["offsets"])]
    meta["keywords"] = []
    for ids in rows:
        keywords: dict[str, list[str]] = {}
        for term in ids.tolist():
            name, value = names[term].split("\x1f")
            keywords.setdefault(name, []).append(value)
        meta["keywords"].append(keywords)
    (folder / "meta.json").write_bytes(orjson.dumps(meta))
    for name in ("texts.npy", "texts.bin", "keywords.npz", "codes.npy"):
        (folder / name).unlink()
    old = EmbeddedBackend(tmp_path, ann_threshold=100, rescore=50)
    assert answers(old, np.random.default_rng(9)) == expected
    old.upsert("docs", [Document("d1", 2, "boulanger", vec(*[1.0] * 16), {"parity": ["odd"]})])
    old.flush()
    again = EmbeddedBackend(tmp_path, ann_threshold=100, rescore=50)
    assert answers(again, np.random.default_rng(9)) == answers(old, np.random.default_rng(9))
    assert [h.id for h in again.bm25("docs", "boulanger", filters=[Terms("parity", ("odd",))])] == ["d1"]
