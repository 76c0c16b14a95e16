"""The Elasticsearch backend against a real node, checked against the embedded backend.

Run: ``scripts/search-node start`` then ``ELASTICSEARCH_URL=http://127.0.0.1:9200 pytest tests/integration``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import threading
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import indices.elasticsearch as es_module
from indices.elasticsearch import ElasticsearchBackend
from indices.embedded import EmbeddedBackend
from indices.errors import IndexNotFound, SearchUnavailable
from indices.hybrid import SeparateRetrievers, hybrid_search
from indices.protocol import Document, Filter, GeoDistance, Ids, SearchBackend, Terms, Vector, WithinReach
from indices.settings import SearchSettings
from matcher.ranking.pipeline import complete_scores
from tests.factories import count_requests

pytestmark = pytest.mark.elasticsearch

DIMS = 8
OFFERS = Path(__file__).resolve().parents[2] / "data" / "offers" / "offers.jsonl.gz"
EDGE = (47.0, 1.0)
CITIES = {"75": (48.8566, 2.3522), "69": (45.7640, 4.8357), "13": (43.2965, 5.3698), "33": (44.8378, -0.5792)}


def unit(*values: float) -> Vector:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def doc(
    doc_id: str,
    version: int,
    text: str = "infirmier de nuit",
    *,
    vector: Vector | None = None,
    keywords: dict[str, list[str]] | None = None,
    points: list[tuple[float, float]] | None = None,
    reach_km: float | None = None,
) -> Document:
    """A document whose default vector is random but fixed by its id."""
    if vector is None:
        vector = unit(*np.random.default_rng(int(hashlib.sha1(doc_id.encode()).hexdigest()[:8], 16)).normal(size=DIMS))
    return Document(doc_id, version, text, vector, keywords or {}, points or [], reach_km)


def hashed_embedding(text: str, dims: int = 64) -> Vector:
    """A tiny deterministic bag-of-words embedding (signed feature hashing), unit length."""
    vector = np.zeros(dims, dtype=np.float32)
    for word in re.findall(r"\w+", text.lower()):
        digest = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
        vector[digest % dims] += 1.0 if (digest >> 32) & 1 else -1.0
    norm = np.linalg.norm(vector)
    return vector / norm if norm else unit(*np.ones(dims))


def overlap(a: list[str], b: list[str]) -> float:
    return len(set(a) & set(b)) / max(len(a), len(b)) if a or b else 1.0


def geo_corpus() -> list[Document]:
    """Documents around four cities, with several points, various reaches and keywords."""
    rng = np.random.default_rng(7)
    words = ["infirmier", "aide", "soignant", "comptable", "jardinier", "agent", "accueil", "nuit"]
    docs = []
    for i in range(80):
        depts = list(rng.choice(list(CITIES), size=int(rng.integers(0, 3)), replace=False))
        points = [(CITIES[d][0] + rng.uniform(-0.3, 0.3), CITIES[d][1] + rng.uniform(-0.3, 0.3)) for d in depts]
        reach = [None, 5.0, 10.0, 12.5, 20.0, 30.0][int(rng.integers(0, 6))]
        keywords = {"dept": [str(d) for d in depts], "contract": [str(rng.choice(["cdi", "cdd", "stage"]))]}
        text = " ".join(rng.choice(words, size=int(rng.integers(1, 6))))
        docs.append(doc(f"g{i}", 1, text, keywords=keywords, points=points, reach_km=reach))
    km = 1 / 111.195  # degrees of latitude per km
    for name, offset_km in (("edge-in", 9.95), ("edge-out", 10.05)):
        docs.append(doc(name, 1, "agent", points=[(EDGE[0] + offset_km * km, EDGE[1]), (0.0, 0.0)], reach_km=10.0))
    return docs


def test_protocol_conformance(es_backend: ElasticsearchBackend) -> None:
    assert isinstance(es_backend, SearchBackend)
    with pytest.raises(IndexNotFound):
        es_backend.count("offers")
    es_backend.ensure_index("offers", dims=DIMS)
    es_backend.ensure_index("offers", dims=DIMS)
    assert es_backend.physical_indices("offers") == [f"{es_backend.alias('offers')}-v1-0"]
    assert es_backend.mapping_version("offers") == 1

    docs = [doc("a", 3), doc("b", 1, "comptable"), doc("c", 7, "jardinier")]
    result = es_backend.upsert("offers", docs)
    assert sorted(result.written) == ["a", "b", "c"] and not result.stale and not result.failed
    assert es_backend.count("offers") == 3
    assert es_backend.versions("offers") == {"a": 3, "b": 1, "c": 7}
    stored = es_backend.vectors("offers", ["a", "zzz"])
    assert list(stored) == ["a"] and np.allclose(stored["a"], docs[0].vector)
    assert [hit.id for hit in es_backend.bm25("offers", "comptables")] == ["b"]

    deleted = es_backend.delete("offers", [("b", 2), ("c", 6)])
    assert deleted.written == ["b"] and deleted.stale == ["c"]
    assert es_backend.count("offers") == 2
    assert es_backend.versions("offers") == {"a": 3, "c": 7}
    assert es_backend.vectors("offers", ["b"]) == {}
    assert es_backend.bm25("offers", "comptable") == []
    assert "b" not in {hit.id for hit in es_backend.knn("offers", docs[1].vector, filters=[Ids(("a", "b"))])}

    es_backend.drop_index("offers")
    with pytest.raises(IndexNotFound):
        es_backend.versions("offers")
    with pytest.raises(IndexNotFound):
        es_backend.upsert("offers", docs)
    assert not es_backend.client.indices.get(index=f"{es_backend.alias('offers')}*", allow_no_indices=True)


def test_versions_pages_through_every_live_document(
    es_backend: ElasticsearchBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    es_backend.ensure_index("offers", dims=DIMS)
    es_backend.upsert("offers", [doc(f"d{i}", i + 1) for i in range(53)])
    es_backend.delete("offers", [("d0", 5), ("d1", 5)])
    monkeypatch.setattr(es_module, "PAGE_SIZE", 7)
    assert es_backend.versions("offers") == {f"d{i}": i + 1 for i in range(2, 53)}


def test_stale_write_after_newer_is_a_no_op(es_backend: ElasticsearchBackend) -> None:
    es_backend.ensure_index("offers", dims=DIMS)
    assert es_backend.upsert("offers", [doc("a", 5, "infirmier")]).written == ["a"]
    assert es_backend.upsert("offers", [doc("a", 3, "jardinier")]).stale == ["a"]
    assert es_backend.upsert("offers", [doc("a", 5, "jardinier")]).stale == ["a"]
    assert es_backend.versions("offers") == {"a": 5}
    assert es_backend.bm25("offers", "jardinier") == []
    assert [hit.id for hit in es_backend.bm25("offers", "infirmier")] == ["a"]


def test_ten_identical_pushes_leave_one_document(es_backend: ElasticsearchBackend) -> None:
    es_backend.ensure_index("offers", dims=DIMS)
    results = [es_backend.upsert("offers", [doc("a", 4)]) for _ in range(10)]
    assert [r.written for r in results] == [["a"]] + [[]] * 9
    assert [r.stale for r in results] == [[]] + [["a"]] * 9
    batch = es_backend.upsert("offers", [doc("b", 2)] * 10)
    assert batch.written == ["b"] and batch.stale == ["b"] * 9
    assert es_backend.count("offers") == 2
    assert es_backend.versions("offers") == {"a": 4, "b": 2}


def test_delete_then_replayed_older_upsert_stays_deleted(es_backend: ElasticsearchBackend) -> None:
    es_backend.ensure_index("offers", dims=DIMS)
    # Elasticsearch would forget a real delete's version at once: the tombstone must not depend on it.
    es_backend.client.indices.put_settings(index=es_backend.alias("offers"), settings={"index.gc_deletes": "0s"})
    es_backend.upsert("offers", [doc("a", 1), doc("b", 1)])
    assert es_backend.delete("offers", [("a", 2), ("never-seen", 9)]).written == ["a", "never-seen"]
    time.sleep(0.2)
    assert es_backend.upsert("offers", [doc("a", 1), doc("a", 2), doc("never-seen", 8)]).stale == [
        "a",
        "a",
        "never-seen",
    ]
    assert es_backend.count("offers") == 1 and es_backend.versions("offers") == {"b": 1}
    assert es_backend.delete("offers", [("a", 1)]).stale == ["a"]
    assert es_backend.delete("offers", [("a", 2)]).written == ["a"]  # a replayed delete is harmless
    assert es_backend.upsert("offers", [doc("a", 3, "agent d'accueil")]).written == ["a"]
    assert es_backend.versions("offers") == {"a": 3, "b": 1}
    assert [hit.id for hit in es_backend.bm25("offers", "accueil")] == ["a"]


def test_a_deleted_document_leaves_the_segments_once_expunged(es_backend: ElasticsearchBackend) -> None:
    """A delete only marks the old document in its segment: its bytes stay on disk until a merge, which
    expunge_deleted asks for. The node keeps deletes its retention leases still need (12 h by default): here
    none (``0s``), so the merge takes the document at the next lease sync (every 30 s)."""
    es_backend.ensure_index("candidates", dims=DIMS)
    alias = es_backend.alias("candidates")
    es_backend.client.indices.put_settings(index=alias, settings={"index.soft_deletes.retention_lease.period": "0s"})
    es_backend.upsert("candidates", [doc("a", 1, "Camille, jardinière"), doc("b", 1)])
    es_backend.flush()
    assert es_backend.delete("candidates", [("a", 2)]).written == ["a"]
    es_backend.flush()

    def marked_deleted() -> int:
        return int(es_backend.client.indices.stats(index=alias, metric="docs")["_all"]["primaries"]["docs"]["deleted"])

    assert marked_deleted() >= 1 and es_backend.versions("candidates") == {"b": 1}
    deadline = time.monotonic() + 90
    while marked_deleted() and time.monotonic() < deadline:
        es_backend.expunge_deleted("candidates")
        time.sleep(3)
    assert marked_deleted() == 0
    assert es_backend.versions("candidates") == {"b": 1}  # the tombstone stays: a replayed upsert is still refused
    assert es_backend.upsert("candidates", [doc("a", 1)]).stale == ["a"]


def test_bad_documents_fail_alone(es_backend: ElasticsearchBackend) -> None:
    es_backend.ensure_index("offers", dims=DIMS)
    batch = [
        doc("good-1", 1),
        doc("short-vector", 1, vector=unit(1, 2, 3)),
        doc("bad-point", 1, points=[(123.0, 2.0)], reach_km=5.0),
        doc("zero-vector", 1, vector=np.zeros(DIMS, dtype=np.float32)),
        doc("nan-vector", 1, vector=np.full(DIMS, np.nan, dtype=np.float32)),
        doc("good-2", 1, points=[(48.85, 2.35)], reach_km=5.0),
    ]
    result = es_backend.upsert("offers", batch)
    print("failed:", json.dumps(result.failed, indent=1))
    assert sorted(result.written) == ["good-1", "good-2"] and not result.stale
    assert set(result.failed) == {"short-vector", "bad-point", "zero-vector", "nan-vector"}
    assert "dimensions" in result.failed["short-vector"]
    assert "latitude" in result.failed["bad-point"]
    assert es_backend.versions("offers") == {"good-1": 1, "good-2": 1}


FILTER_CASES: list[list[Filter]] = [
    [],
    [Terms("dept", ("75",))],
    [Terms("dept", ("75", "69"))],
    [Terms("contract", ("cdi",)), Terms("dept", ("13",))],
    [Terms("dept", ())],
    [Terms("unknown", ("x",))],
    [Ids(("g1", "g5", "g40", "nope"))],
    [GeoDistance((CITIES["75"],), 20.0)],
    [GeoDistance((CITIES["69"], CITIES["13"]), 12.5)],
    [GeoDistance((), 10.0)],
    [GeoDistance((EDGE,), 10.0)],
    [WithinReach(*EDGE)],
    [WithinReach(*CITIES["75"])],
    [WithinReach(*CITIES["69"])],
    [WithinReach(45.9, 4.7)],
    [WithinReach(*CITIES["33"]), Terms("contract", ("cdd", "stage"))],
    [WithinReach(*CITIES["13"]), GeoDistance((CITIES["13"],), 15.0), Ids(tuple(f"g{i}" for i in range(40)))],
]


@pytest.mark.parametrize("filters", FILTER_CASES, ids=[repr(case)[:60] for case in FILTER_CASES])
def test_filters_match_the_embedded_backend(es_backend: ElasticsearchBackend, filters: list[Filter]) -> None:
    corpus = geo_corpus()
    embedded = EmbeddedBackend()
    for backend in (embedded, es_backend):
        backend.ensure_index("offers", dims=DIMS)
        backend.upsert("offers", corpus)
        backend.delete("offers", [("g3", 2), ("g11", 2)])
    query = unit(*np.ones(DIMS))
    expected = {hit.id for hit in embedded.knn("offers", query, filters=filters, k=1000)}
    assert {hit.id for hit in es_backend.knn("offers", query, filters=filters, k=1000)} == expected
    words = "infirmier aide soignant comptable jardinier agent accueil nuit"
    lexical = {hit.id for hit in embedded.bm25("offers", words, filters=filters, k=1000)}
    assert {hit.id for hit in es_backend.bm25("offers", words, filters=filters, k=1000)} == lexical
    if any(isinstance(f, WithinReach | GeoDistance) for f in filters) and filters != [GeoDistance((), 10.0)]:
        assert expected, "every geographic case keeps some documents, or it would prove nothing"
    if filters in ([GeoDistance((EDGE,), 10.0)], [WithinReach(*EDGE)]):
        assert expected == {"edge-in"}


@pytest.mark.parametrize("vector_index_type", ["int8_hnsw", "hnsw"])
def test_knn_scores_are_the_cosines_on_both_backends(es_backend: ElasticsearchBackend, vector_index_type: str) -> None:
    backend = ElasticsearchBackend(es_backend.settings, client=es_backend.client, vector_index_type=vector_index_type)
    corpus = geo_corpus()
    embedded = EmbeddedBackend()
    for b in (embedded, backend):
        b.ensure_index("offers", dims=DIMS)
        b.upsert("offers", corpus)
    vectors = {d.id: np.asarray(d.vector, dtype=np.float32) for d in corpus}
    # The node answers float32 cosines (int8 too: rescore_vector recomputes them from the raw vectors); the
    # embedded index keeps bfloat16 vectors, 8 significant bits: a cosine of unit vectors within 2^-8.
    tolerance = {"elasticsearch": 1e-3, "embedded": 2**-8}
    worst = dict.fromkeys(tolerance, 0.0)
    for seed in range(5):
        query = unit(*np.random.default_rng(seed).normal(size=DIMS))
        cosine = {i: float(v @ query) for i, v in vectors.items()}
        for name, hits in (
            ("elasticsearch", backend.knn("offers", query, k=20)),
            ("embedded", embedded.knn("offers", query, k=20)),
        ):
            # The 20 best by cosine, best first, each with its cosine (rounding may swap two near-equal ones).
            assert len(hits) == 20 and all(a.score >= b.score for a, b in pairwise(hits))
            worst[name] = max(worst[name], *(abs(h.score - cosine[h.id]) for h in hits))
            kept = {h.id for h in hits}
            assert all(cosine[i] <= hits[-1].score + tolerance[name] for i in cosine if i not in kept)
    print(f"{vector_index_type}: max |cosine difference| = {worst}")
    assert all(worst[name] < tolerance[name] for name in tolerance), worst


def test_parity_on_real_offers(es_backend: ElasticsearchBackend) -> None:
    with gzip.open(OFFERS, "rt", encoding="utf-8") as lines:
        offers = [json.loads(line) for _, line in zip(range(400), lines, strict=False)]
    corpus = [
        Document(o["id"], 1, f"{o['title']}\n{o['description']}", hashed_embedding(f"{o['title']} {o['description']}"))
        for o in offers[:300]
    ]
    queries = [o["title"] for o in offers[300:400]]
    embedded = EmbeddedBackend()
    for backend in (embedded, es_backend):
        backend.ensure_index("offers", dims=64)
        result = backend.upsert("offers", corpus)
        assert not result.failed and not result.stale
    bm25, dense, score_gaps = [], [], []
    for query in queries:
        want, got = embedded.bm25("offers", query, k=10), es_backend.bm25("offers", query, k=10)
        bm25.append(overlap([h.id for h in want], [h.id for h in got]))
        wanted = {h.id: h.score for h in want}
        score_gaps += [abs(h.score - wanted[h.id]) / wanted[h.id] for h in got if h.id in wanted]
        vector = hashed_embedding(query)
        dense.append(
            overlap(
                [h.id for h in embedded.knn("offers", vector, k=10)],
                [h.id for h in es_backend.knn("offers", vector, k=10)],
            )
        )
    print(
        f"parity over {len(queries)} queries, {len(corpus)} offers: BM25 top-10 overlap {np.mean(bm25):.3f} "
        f"(min {min(bm25):.2f}), kNN top-10 overlap {np.mean(dense):.3f} (min {min(dense):.2f}); "
        f"BM25 relative score gap mean {np.mean(score_gaps):.4f}, max {max(score_gaps):.4f}"
    )
    assert np.mean(bm25) >= 0.8
    assert np.mean(score_gaps) < 0.05  # same formula and scale; Lucene stores lengths in one lossy byte
    assert np.mean(dense) >= 0.9


def test_unreachable_node_raises_search_unavailable() -> None:
    backend = ElasticsearchBackend(
        SearchSettings(
            url="http://127.0.0.1:9",
            index_prefix="nowhere",
            max_retries=0,
            request_timeout=2,
            bulk_retries=1,
            bulk_backoff_s=0.01,
        )
    )
    with pytest.raises(SearchUnavailable):
        backend.count("offers")
    with pytest.raises(SearchUnavailable):
        backend.upsert("offers", [doc("a", 1)])
    backend.close()


def test_alias_swap_keeps_answering(es_backend: ElasticsearchBackend) -> None:
    index = "candidates"
    es_backend.ensure_index(index, dims=DIMS)
    es_backend.upsert(index, [doc(f"old-{i}", 1, "aide soignant") for i in range(50)])
    errors: list[BaseException] = []
    answers: list[tuple[float, float, set[str]]] = []  # (started, finished, ids)
    stop = threading.Event()

    def query_in_a_loop() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                ids = {h.id for h in es_backend.knn(index, unit(*np.ones(DIMS)), k=10)}
                ids |= {h.id for h in es_backend.bm25(index, "aide soignante", k=10)}
                assert es_backend.count(index) == 50
                answers.append((started, time.monotonic(), ids))
            except BaseException as exc:
                errors.append(exc)

    worker = threading.Thread(target=query_in_a_loop)
    worker.start()
    try:
        new = es_backend.create_physical_index(index, DIMS)
        filled = es_backend.upsert(index, [doc(f"new-{i}", 1, "aide soignant") for i in range(50)], physical=new)
        assert len(filled.written) == 50
        old = es_backend.swap_alias(index, new)
        swapped = time.monotonic()
        deadline = swapped + 30
        while sum(1 for started, _, _ in answers if started > swapped) < 20 and not errors:
            assert time.monotonic() < deadline, "fewer than 20 answers within 30 s of the swap"
            time.sleep(0.02)
        assert old is not None
        es_backend.delete_physical_index(index, old)
        time.sleep(0.2)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive() and errors == []
    before = [ids for _, finished, ids in answers if finished < swapped]
    after = [ids for started, _, ids in answers if started > swapped]
    # Answered entirely before the swap: the old index only; asked after it: the new index only.
    assert before and all(ids and all(i.startswith("old-") for i in ids) for ids in before)
    assert len(after) >= 20 and all(len(ids) >= 10 and all(i.startswith("new-") for i in ids) for ids in after)
    assert es_backend.physical_indices(index) == [new]
    assert es_backend.versions(index) == {f"new-{i}": 1 for i in range(50)}


# -- one round trip per query ------------------------------------------------------------------------


def test_a_hybrid_query_is_one_http_request(es_backend: ElasticsearchBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    es_backend.ensure_index("offers", dims=DIMS)
    es_backend.upsert("offers", geo_corpus())
    sent = count_requests(es_backend, monkeypatch)
    alias = es_backend.alias("offers")
    filters: list[Filter] = [Terms("contract", ("cdi", "cdd", "stage")), WithinReach(*CITIES["75"])]
    query = {"text": "aide soignant de nuit", "filters": filters, "k": 10, "depth": 1}  # one-sided hits
    hybrid_search(es_backend, "offers", vector=unit(*np.ones(DIMS)), **query)
    assert sent == [f"POST /{alias}/_search", "POST /_msearch"]  # the reach values, read once then kept
    sent.clear()
    vector = unit(*range(DIMS))
    hits = hybrid_search(es_backend, "offers", vector=vector, **query)
    assert sent == ["POST /_msearch"]
    assert any(h.bm25_rank is None for h in hits) and any(h.dense_rank is None for h in hits)
    sent.clear()
    hits = hybrid_search(es_backend, "offers", vector=vector, complete=True, **query)
    assert sent == ["POST /_msearch", f"POST /{alias}/_search"], "BM25 of kNN hits in the search; then vectors"
    assert all(h.bm25 is not None and h.cosine is not None for h in hits)
    complete_scores(es_backend, "offers", hits, "aide soignant de nuit", vector)  # what ranking asks next
    assert len(sent) == 2, "ranking needs no further request"


def test_a_long_query_costs_one_more_request_the_first_time_only(
    es_backend: ElasticsearchBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = ElasticsearchBackend(es_backend.settings, client=es_backend.client, max_query_terms=3)
    backend.ensure_index("offers", dims=DIMS)
    backend.upsert("offers", geo_corpus())
    sent = count_requests(backend, monkeypatch)
    text = "infirmier aide soignant comptable jardinier agent accueil nuit"
    hybrid_search(backend, "offers", text=text, vector=unit(*np.ones(DIMS)), k=10)
    assert sent == [f"POST /{backend.alias('offers')}/_termvectors", "POST /_msearch"]
    sent.clear()
    hybrid_search(backend, "offers", text=f"{text} infirmier", vector=unit(*range(DIMS)), k=10, complete=True)
    assert sent == ["POST /_msearch"]


@pytest.mark.parametrize("shards", [1, 3])
def test_one_request_answers_what_separate_requests_answered(es_backend: ElasticsearchBackend, shards: int) -> None:
    """Same ids, order and scores (both retrievers' and the completed ones), real offers and geo filters."""
    backend = ElasticsearchBackend(es_backend.settings, client=es_backend.client, number_of_shards=shards)
    with gzip.open(OFFERS, "rt", encoding="utf-8") as lines:
        offers = [json.loads(line) for _, line in zip(range(260), lines, strict=False)]
    texts = [f"{o['title']}\n{o['description']}" for o in offers]
    rng = np.random.default_rng(11)
    corpus = [
        Document(
            f"o{i}",
            1,
            text,
            hashed_embedding(text),
            {"dept": [str(rng.choice(list(CITIES)))]},
            [CITIES[str(rng.choice(list(CITIES)))]],
            float(rng.choice([5.0, 20.0, 40.0])),
        )
        for i, text in enumerate(texts[:200])
    ]
    backend.ensure_index("offers", dims=64)
    assert not backend.upsert("offers", corpus).failed
    old = SeparateRetrievers(backend)
    cases: list[list[Filter]] = [
        [],
        [WithinReach(*CITIES["75"])],
        [Terms("dept", ("13", "69")), WithinReach(45.9, 4.7)],
    ]
    completed = 0
    for number, text in enumerate(texts[200:]):  # long texts: more terms than max_query_terms
        vector = hashed_embedding(text)
        filters = cases[number % len(cases)]
        for complete in (False, True):
            ask = {"text": text, "vector": vector, "filters": filters, "k": 30, "depth": 20, "complete": complete}
            want = hybrid_search(old, "offers", **ask)
            got = hybrid_search(backend, "offers", **ask)
            assert got == want, f"query {number}, complete={complete}"
        completed += sum(h.dense_rank is None or h.bm25_rank is None for h in got)
        plain = hybrid_search(old, "offers", text=text, vector=vector, filters=filters, k=30, depth=20)
        assert complete_scores(backend, "offers", got, text, vector) == complete_scores(
            old,
            "offers",
            plain,
            text,
            vector,
        )
    assert completed > 100, "many hits had a score to complete, or this proves little"


def test_a_reach_written_by_another_process_counts_at_once(es_backend: ElasticsearchBackend) -> None:
    lyon = CITIES["69"]
    twenty_km_north = (lyon[0] + 20 / 111.195, lyon[1])
    es_backend.ensure_index("offers", dims=DIMS)
    es_backend.upsert("offers", [doc("ten", 1, "agent", points=[lyon], reach_km=10.0)])
    filters = [WithinReach(*twenty_km_north)]
    assert es_backend.knn("offers", unit(*np.ones(DIMS)), filters=filters) == []  # reach values now kept
    other = ElasticsearchBackend(es_backend.settings)  # another process, with values of its own
    try:
        other.upsert(
            "offers",
            [
                doc("twenty-five", 1, "agent", points=[lyon], reach_km=25.0),
                doc("fifteen", 1, "agent", points=[lyon], reach_km=15.0),  # also unknown here, but too short
            ],
        )
    finally:
        other.close()
    assert [h.id for h in es_backend.knn("offers", unit(*np.ones(DIMS)), filters=filters)] == ["twenty-five"]
    assert [h.id for h in es_backend.bm25("offers", "agent", filters=filters)] == ["twenty-five"]
    hits = hybrid_search(es_backend, "offers", text="agent", vector=unit(*np.ones(DIMS)), filters=filters)
    assert [h.id for h in hits] == ["twenty-five"]


def test_a_reach_written_here_is_known_without_reading_again(
    es_backend: ElasticsearchBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    lyon = CITIES["69"]
    es_backend.ensure_index("offers", dims=DIMS)
    es_backend.upsert("offers", [doc("ten", 1, "agent", points=[lyon], reach_km=10.0)])
    filters = [WithinReach(lyon[0] + 30 / 111.195, lyon[1])]
    assert es_backend.bm25("offers", "agent", filters=filters) == []
    es_backend.upsert("offers", [doc("forty", 1, "agent", points=[lyon], reach_km=40.0)])
    sent = count_requests(es_backend, monkeypatch)
    assert [h.id for h in es_backend.bm25("offers", "agent", filters=filters)] == ["forty"]
    assert sent == ["POST /_msearch"]


@pytest.mark.parametrize("interval", [None, "5s", "-1"])
def test_a_large_bulk_pauses_refresh_then_restores_it(
    es_backend: ElasticsearchBackend, monkeypatch: pytest.MonkeyPatch, interval: str | None
) -> None:
    backend = ElasticsearchBackend(
        es_backend.settings, client=es_backend.client, bulk_refresh_pause_at=20, bulk_chunk_size=7, bulk_threads=3
    )
    backend.ensure_index("offers", dims=DIMS)
    alias = backend.alias("offers")
    (physical,) = backend.physical_indices("offers")
    client = es_backend.client.options()  # not counted: observes the index while the bulk runs

    def refresh_interval() -> str | None:
        found = client.indices.get_settings(index=physical, name="index.refresh_interval", flat_settings=True)
        return (found.get(physical) or {}).get("settings", {}).get("index.refresh_interval")  # absent: default

    if interval is not None:
        client.indices.put_settings(index=alias, settings={"index.refresh_interval": interval})
    during: list[str | None] = []
    for node in backend.client.transport.node_pool.all():
        send = node.perform_request

        def observing(method: str, target: str, *args: Any, send: Any = send, **kwargs: Any) -> Any:
            if target.startswith("/_bulk") or "/_bulk" in target:
                during.append(refresh_interval())
            return send(method, target, *args, **kwargs)

        monkeypatch.setattr(node, "perform_request", observing)
    result = backend.upsert("offers", [doc(f"d{i}", 1, "agent") for i in range(50)])
    monkeypatch.undo()
    assert len(result.written) == 50
    assert len(during) == 8 and set(during) == {"-1"}
    assert refresh_interval() == interval
    assert len(backend.bm25("offers", "agent", k=100)) == 50, "searchable when the write returns"
    if interval == "-1":
        return  # an operator's choice: smaller writes would wait for a refresh that never comes
    small = backend.upsert("offers", [doc(f"e{i}", 1, "agent") for i in range(5)])
    assert len(small.written) == 5 and refresh_interval() == interval
    assert len(backend.bm25("offers", "agent", k=100)) == 55


def test_a_long_query_keeps_its_most_informative_terms(es_backend: ElasticsearchBackend) -> None:
    capped = ElasticsearchBackend(es_backend.settings, client=es_backend.client, max_query_terms=1)
    whole = ElasticsearchBackend(es_backend.settings, client=es_backend.client, max_query_terms=0)
    capped.ensure_index("offers", dims=DIMS)
    capped.upsert("offers", [doc(f"d{i}", 1, "agent accueil service") for i in range(20)])
    capped.upsert("offers", [doc("rare", 1, "agent horticulteur")])
    text = "agent agent agent agent accueil horticulteur"  # the repeated word is in every document
    assert [h.id for h in capped.bm25("offers", text, k=100)] == ["rare"]
    assert len(whole.bm25("offers", text, k=100)) == 21
    assert len(capped.bm25("offers", "agent", k=100)) == 21, "a short query is left whole"
