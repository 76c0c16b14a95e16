"""Hybrid retrieval shared by every backend: BM25 and kNN lists fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indices.protocol import Filter, SearchBackend, Vector

RRF_K = 60


@dataclass(frozen=True, slots=True)
class HybridHit:
    """A fused hit, keeping each retriever's own score and rank (None when it did not return it)."""

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
) -> list[HybridHit]:
    """Reciprocal rank fusion of the top ``depth`` BM25 and kNN hits, best ``k`` returned.

    RRF needs no score calibration between BM25 and cosine, which is why it is the default
    fusion in search engines; both backends run the same code here, so they fuse identically.
    """
    depth = depth or max(k, 100)
    lexical = backend.bm25(index, text, filters=filters, k=depth) if text.strip() else []
    dense = backend.knn(index, vector, filters=filters, k=depth)
    fused: dict[str, list[float | int | None]] = {}
    for rank, hit in enumerate(lexical, start=1):
        fused[hit.id] = [1.0 / (RRF_K + rank), hit.score, rank, None, None]
    for rank, hit in enumerate(dense, start=1):
        entry = fused.setdefault(hit.id, [0.0, None, None, None, None])
        entry[0] = float(entry[0] or 0.0) + 1.0 / (RRF_K + rank)
        entry[3], entry[4] = hit.score, rank
    ranked = sorted(fused.items(), key=lambda item: (-float(item[1][0] or 0.0), item[0]))[:k]
    return [
        HybridHit(doc_id, float(e[0] or 0.0), e[1], e[2], e[3], e[4])  # type: ignore[arg-type]
        for doc_id, e in ranked
    ]
