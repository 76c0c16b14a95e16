"""Hybrid retrieval shared by every backend: BM25 and kNN lists fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from indices.protocol import Filter, Ids, Retrieval, RetrievesBoth, SearchBackend, Vector

RRF_K = 60


@dataclass(frozen=True, slots=True)
class HybridHit:
    """A fused hit, keeping each retriever's own score and rank (None when it did not return it).

    With ``hybrid_search(..., complete=True)`` the scores are filled in for every hit (the ranks still
    say which retriever returned it): ``bm25`` is 0.0 where no query term matches.
    """

    id: str
    score: float
    bm25: float | None
    bm25_rank: int | None
    cosine: float | None
    dense_rank: int | None


def hybrid_search(
    backend: SearchBackend,
    index: str,
    *,
    text: str,
    vector: Vector,
    filters: Sequence[Filter] = (),
    k: int = 100,
    depth: int | None = None,
    complete: bool = False,
) -> list[HybridHit]:
    """Reciprocal rank fusion of the top ``depth`` BM25 and kNN hits, best ``k`` returned.

    RRF needs no score calibration between BM25 and cosine, which is why it is the default
    fusion in search engines; both backends run the same code here, so they fuse identically.
    A backend that can (:class:`~indices.protocol.RetrievesBoth`, Elasticsearch) answers both lists in
    one request, with ``complete`` the scores it can give on the way (Elasticsearch: BM25 of the kNN hits).

    Args:
        complete: Fill in each hit's score by the retriever that did not return it (its cosine, its
            BM25), as ranking needs them.
    """
    depth = depth or max(k, 100)
    if isinstance(backend, RetrievesBoth):
        found = backend.retrieve(index, text=text, vector=vector, filters=filters, depth=depth, complete=complete)
    else:
        lexical = backend.bm25(index, text, filters=filters, k=depth) if text.strip() else []
        found = Retrieval(lexical, backend.knn(index, vector, filters=filters, k=depth))
    fused: dict[str, list[float | int | None]] = {}
    for rank, hit in enumerate(found.lexical, start=1):
        fused[hit.id] = [1.0 / (RRF_K + rank), hit.score, rank, None, None]
    for rank, hit in enumerate(found.dense, start=1):
        entry = fused.setdefault(hit.id, [0.0, None, None, None, None])
        entry[0] = float(entry[0] or 0.0) + 1.0 / (RRF_K + rank)
        entry[3], entry[4] = hit.score, rank
    ranked = sorted(fused.items(), key=lambda item: (-float(item[1][0] or 0.0), item[0]))[:k]
    hits = [
        HybridHit(doc_id, float(e[0] or 0.0), e[1], e[2], e[3], e[4])  # type: ignore[arg-type]
        for doc_id, e in ranked
    ]
    return _completed(backend, index, hits, text, vector, found) if complete else hits


def _completed(
    backend: SearchBackend, index: str, hits: list[HybridHit], text: str, vector: Vector, found: Retrieval
) -> list[HybridHit]:
    """``hits`` with the scores their other retriever did not return: from ``found``, or asked for now."""
    cosine_of, bm25_of = found.cosine_of, found.bm25_of
    if cosine_of is None:
        stored = backend.vectors(index, [h.id for h in hits if h.cosine is None])
        cosine_of = {doc_id: float(v @ vector) for doc_id, v in stored.items()}
    if bm25_of is None:
        bm25_of = {}
        need = tuple(h.id for h in hits if h.bm25 is None)
        if need and text.strip():
            bm25_of = {h.id: h.score for h in backend.bm25(index, text, filters=[Ids(need)], k=len(need))}
    return [
        replace(
            h,
            bm25=h.bm25 if h.bm25 is not None else bm25_of.get(h.id, 0.0),
            cosine=h.cosine if h.cosine is not None else cosine_of.get(h.id),
        )
        for h in hits
    ]


class SeparateRetrievers:
    """``backend`` as :func:`hybrid_search` sees a backend that cannot answer both lists in one request: BM25,
    kNN and the missing scores each asked for on their own (what the one-request path is measured against)."""

    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend

    def __getattr__(self, name: str) -> object:
        if name == "retrieve":  # so that it is not a RetrievesBoth
            raise AttributeError(name)
        return getattr(self.backend, name)
