"""Evaluation and training on a BEIR benchmark: BM25, dense, hybrid and the full ranker side by side.

Queries are offers, the corpus candidates. Structured metadata, when a benchmark has it, gives
the hard constraint of the product (the workplace must lie in the candidate's mobility area, for
every system alike) and the structured features; a text-only benchmark is understood from its
text (occupations inferred from titles, skills extracted). The ranker never reads an offer's ROME
code: it is inferred from the title, since the built-in labels come from that code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from indices.embedded import EmbeddedBackend
from indices.hybrid import hybrid_search
from indices.protocol import Document, Filter, GeoDistance, WithinReach
from matcher.core.progress import Progress
from matcher.cv.draft import without_leisure
from matcher.evaluation.benchmark import Benchmark, structured_candidate, structured_offer
from matcher.indexing.documents import offer_vectors
from matcher.ranking.features import FEATURES, CandidateView, OfferView, facts_of
from matcher.ranking.pipeline import complete_scores, rank_pairs
from matcher.ranking.scorer import Scorer
from matcher.ranking.views import candidate_view, candidate_view_from_text, offer_view, offer_view_from_text

if TYPE_CHECKING:
    from matcher.runtime import Runtime

CORPUS = "corpus"
OFFERS = "offers"  # the split's offers, for seekers' matches
SYSTEMS = ("bm25", "dense", "hybrid", "ranker")
METRICS = ("ndcg@10", "recall@50", "mrr@10")
DEPTH = 200
# Benchmark texts are dated; availability is judged on this day so figures do not drift with the clock.
EVALUATION_DAY = date(2026, 1, 5)


def ndcg_at(ranking: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    gains = [(2 ** grades.get(doc, 0) - 1) / math.log2(rank + 2) for rank, doc in enumerate(ranking[:k])]
    ideal = [(2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(sorted(grades.values(), reverse=True)[:k])]
    return sum(gains) / sum(ideal) if sum(ideal) > 0 else 0.0


def recall_at(ranking: Sequence[str], grades: dict[str, int], k: int = 50) -> float:
    relevant = {doc for doc, grade in grades.items() if grade > 0}
    return len(relevant & set(ranking[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranking: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    return next((1.0 / (rank + 1) for rank, doc in enumerate(ranking[:k]) if grades.get(doc, 0) > 0), 0.0)


@dataclass
class Prepared:
    """A benchmark indexed and understood once, reused by every system, training and evaluation."""

    backend: EmbeddedBackend
    offers: dict[str, OfferView]
    candidates: dict[str, CandidateView]
    query_texts: dict[str, str]
    query_vectors: dict[str, np.ndarray]


def prepare(rt: Runtime, benchmark: Benchmark, *, progress: Progress | None = None) -> Prepared:
    ids = list(benchmark.corpus)
    texts = [f"{benchmark.corpus[i].get('title', '')}. {benchmark.corpus[i].get('text', '')}".strip(". ") for i in ids]
    vectors = rt.embedder.embed(texts, progress=(lambda d, t: progress("corpus", d, t)) if progress else None)
    backend = EmbeddedBackend()
    backend.ensure_index(CORPUS, dims=rt.embedder.dims)
    candidates: dict[str, CandidateView] = {}
    documents = []
    for doc_id, text, vector in zip(ids, texts, vectors, strict=True):
        profile = structured_candidate(benchmark.corpus[doc_id])
        if profile is not None:
            view = candidate_view(
                profile, candidate_id=doc_id, text=text, geography=rt.geography, inferer=lambda: rt.classifier
            )
        else:
            title = benchmark.corpus[doc_id].get("title", "")
            view = candidate_view_from_text(
                doc_id,
                title,
                text,
                inferer=rt.classifier,
                extractor=rt.extractor,
                headline="" if title else rt.cv_reader.headline(text, today=EVALUATION_DAY),
                skills_text=without_leisure(text),
            )
        candidates[doc_id] = view
        documents.append(Document(doc_id, 1, text, vector, points=list(view.places), reach_km=view.radius_km))
    backend.upsert(CORPUS, documents)
    offers, query_texts = {}, {}
    for query_id, query in benchmark.queries.items():
        offer = structured_offer(query)
        title, text = query.get("title", ""), query.get("text", "")
        if offer is not None:
            offers[query_id] = offer_view(
                offer,
                taxonomy=rt.taxonomy,
                geography=rt.geography,
                inferer=rt.classifier,
                extractor=rt.extractor,
                hide_occupation=True,
            )
        else:
            offers[query_id] = offer_view_from_text(
                title, text, taxonomy=rt.taxonomy, inferer=rt.classifier, extractor=rt.extractor
            )
        query_texts[query_id] = offers[query_id].text
    ids = list(query_texts)
    vectors = offer_vectors(rt.embedder, [offers[q].title for q in ids], [query_texts[q] for q in ids])
    query_vectors = dict(zip(ids, vectors, strict=True))
    return Prepared(backend, offers, candidates, query_texts, query_vectors)


def _filters(offer: OfferView) -> list[Filter]:
    return [WithinReach(*offer.place)] if offer.place else []


def rankings(rt: Runtime, prepared: Prepared, query_id: str, scorer: Scorer | None) -> dict[str, list[str]]:
    """Each system's ranking of the corpus for one query (the ranker re-ranks the hybrid top 200)."""
    offer, text, vector = prepared.offers[query_id], prepared.query_texts[query_id], prepared.query_vectors[query_id]
    filters, backend = _filters(offer), prepared.backend
    out = {
        "bm25": [h.id for h in backend.bm25(CORPUS, text, filters=filters, k=100)],
        "dense": [h.id for h in backend.knn(CORPUS, vector, filters=filters, k=100)],
    }
    hybrid = hybrid_search(backend, CORPUS, text=text, vector=vector, filters=filters, k=DEPTH)
    out["hybrid"] = [h.id for h in hybrid[:100]]
    if scorer is not None:
        pairs = pair_rows(rt, prepared, query_id, hybrid)
        ranked = rank_pairs(rt, pairs, scorer, today=EVALUATION_DAY, size=0)  # the order only: nothing explained
        out["ranker"] = [pairs[i][1].id for _, i, _ in ranked][:100]
    return out


def pair_rows(
    rt: Runtime, prepared: Prepared, query_id: str, hybrid: Sequence[Any]
) -> list[tuple[OfferView, CandidateView, float, float]]:
    cosine, lexical = _scores(prepared, query_id, hybrid)
    offer = prepared.offers[query_id]
    return [(offer, prepared.candidates[h.id], cosine[h.id], lexical[h.id]) for h in hybrid]


def _scores(prepared: Prepared, query_id: str, hybrid: Sequence[Any]) -> tuple[dict[str, float], dict[str, float]]:
    return complete_scores(
        prepared.backend, CORPUS, hybrid, prepared.query_texts[query_id], prepared.query_vectors[query_id]
    )


@dataclass
class Report:
    split: str
    queries: int
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # system -> metric -> mean
    per_query: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # system -> query -> ndcg...

    def record(self, system: str, query_id: str, ranking: Sequence[str], grades: dict[str, int]) -> None:
        """One query's figures for one system."""
        self.per_query.setdefault(system, {})[query_id] = {
            "ndcg@10": ndcg_at(ranking, grades),
            "recall@50": recall_at(ranking, grades, 50),
            "mrr@10": mrr_at(ranking, grades),
        }

    def average(self, systems: Sequence[str]) -> None:
        """Each system's means over the queries recorded."""
        for system in systems:
            values = list(self.per_query.get(system, {}).values())
            self.metrics[system] = {m: float(np.mean([v[m] for v in values])) if values else 0.0 for m in METRICS}

    def table(self) -> str:
        lines = ["| système | NDCG@10 | Recall@50 | MRR@10 |", "|---|---|---|---|"]
        for system, values in self.metrics.items():
            lines.append(f"| {system} | {values['ndcg@10']:.4f} | {values['recall@50']:.4f} | {values['mrr@10']:.4f} |")
        return "\n".join(lines)


def evaluate(
    rt: Runtime,
    benchmark: Benchmark,
    prepared: Prepared,
    *,
    split: str,
    scorer: Scorer | None,
    progress: Progress | None = None,
) -> Report:
    qrels = {q: grades for q, grades in benchmark.qrels.get(split, {}).items() if q in prepared.offers}
    report = Report(split=split, queries=len(qrels))
    for number, (query_id, grades) in enumerate(sorted(qrels.items()), start=1):
        for system, ranking in rankings(rt, prepared, query_id, scorer).items():
            report.record(system, query_id, ranking, grades)
        if progress and (number % 50 == 0 or number == len(qrels)):
            progress(f"évaluation {split}", number, len(qrels))
    report.average(SYSTEMS if scorer is not None else SYSTEMS[:3])
    return report


def evaluate_matches(
    rt: Runtime,
    benchmark: Benchmark,
    prepared: Prepared,
    *,
    split: str,
    scorer: Scorer | None,
    progress: Progress | None = None,
) -> Report:
    """Seekers' matches, the other way round: each profile the split's labels name searches the offers they name as
    :func:`matcher.ranking.pipeline.build_matches` does (BM25 and kNN over the offers' index vectors, within the
    profile's mobility area; the ranker re-ranks the hybrid top 200), graded by the same labels read from the
    profile's side."""
    offer_ids = [q for q in benchmark.qrels.get(split, {}) if q in prepared.offers]
    grades: dict[str, dict[str, int]] = {}
    for query_id in offer_ids:
        for doc_id, grade in benchmark.qrels[split][query_id].items():
            if doc_id in prepared.candidates:
                grades.setdefault(doc_id, {})[query_id] = grade
    # A profile the labels only judge irrelevant (grade 0) to every offer has nothing to find: not a query.
    grades = {doc_id: labels for doc_id, labels in grades.items() if any(g > 0 for g in labels.values())}
    backend = EmbeddedBackend()
    backend.ensure_index(OFFERS, dims=rt.embedder.dims)
    documents = []
    for query_id in offer_ids:
        place = prepared.offers[query_id].place
        vector = prepared.query_vectors[query_id]  # an offer's index vector is the one it looks for profiles with
        documents.append(Document(query_id, 1, prepared.query_texts[query_id], vector, points=[place] if place else []))
    backend.upsert(OFFERS, documents)
    vectors = prepared.backend.vectors(CORPUS, list(grades))
    report = Report(split=f"{split}, profils → offres", queries=len(grades))
    for number, (profile_id, profile_grades) in enumerate(sorted(grades.items()), start=1):
        candidate, vector = prepared.candidates[profile_id], vectors[profile_id]
        filters: list[Filter] = []
        if candidate.places and candidate.radius_km is not None:
            filters.append(GeoDistance(candidate.places, candidate.radius_km))
        text = candidate.text
        hybrid = hybrid_search(backend, OFFERS, text=text, vector=vector, filters=filters, k=DEPTH, complete=True)
        ranked = {
            "bm25": [h.id for h in backend.bm25(OFFERS, text, filters=filters, k=100)],
            "dense": [h.id for h in backend.knn(OFFERS, vector, filters=filters, k=100)],
            "hybrid": [h.id for h in hybrid[:100]],
        }
        if scorer is not None:
            cosine, lexical = complete_scores(backend, OFFERS, hybrid, text, vector)
            pairs = [(prepared.offers[h.id], candidate, cosine[h.id], lexical[h.id]) for h in hybrid]
            order = rank_pairs(rt, pairs, scorer, today=EVALUATION_DAY, size=0)
            ranked["ranker"] = [hybrid[i].id for _, i, _ in order][:100]
        for system, ranking in ranked.items():
            report.record(system, profile_id, ranking, profile_grades)
        if progress and (number % 100 == 0 or number == len(grades)):
            progress(f"offres proposées ({split})", number, len(grades))
    report.average(SYSTEMS if scorer is not None else SYSTEMS[:3])
    return report


def stacked_training_set(
    rt: Runtime, sets: Sequence[tuple[Benchmark, Prepared]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`grouped_training_set` of several benchmarks' train splits, one after the other; each query is a
    group of its own (two benchmarks may both call a query "q0001")."""
    parts = [grouped_training_set(rt, benchmark, prepared) for benchmark, prepared in sets]
    groups = [np.asarray([f"{n}:{g}" for g in part[2]], dtype=object) for n, part in enumerate(parts)]
    return np.vstack([part[0] for part in parts]), np.concatenate([part[1] for part in parts]), np.concatenate(groups)


def training_set(
    rt: Runtime, benchmark: Benchmark, prepared: Prepared, *, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """Features and graded labels of every (offer, retrieved candidate) pair of the split."""
    X, y, _ = grouped_training_set(rt, benchmark, prepared, split=split)
    return X, y


def grouped_training_set(
    rt: Runtime, benchmark: Benchmark, prepared: Prepared, *, split: str = "train"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`training_set`, and the query of each row (what a pairwise loss compares within)."""
    rows, labels, groups = [], [], []

    for query_id, grades in sorted(benchmark.qrels.get(split, {}).items()):
        if query_id not in prepared.offers:
            continue
        offer = prepared.offers[query_id]
        hybrid = hybrid_search(
            prepared.backend,
            CORPUS,
            text=prepared.query_texts[query_id],
            vector=prepared.query_vectors[query_id],
            filters=_filters(offer),
            k=DEPTH,
        )
        pairs = pair_rows(rt, prepared, query_id, hybrid)
        for (_, candidate, _, _), facts in zip(
            pairs, facts_of(pairs, taxonomy=rt.taxonomy, today=EVALUATION_DAY), strict=True
        ):
            rows.append([facts.values[name] for name in FEATURES])
            labels.append(grades.get(candidate.id, 0))
            groups.append(query_id)
    return (
        np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES)),
        np.asarray(labels, dtype=np.float64),
        np.asarray(groups, dtype=object),
    )
