"""Shortlists (candidates for an offer) and matches (offers for a candidate), each place explained.

retrieve (hybrid BM25 + kNN, filtered) → features → scorer → explanation. Candidates appear only
when their profile is open to employers and the workplace lies inside their mobility area.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from pydantic import BaseModel

from indices.hybrid import HybridHit, hybrid_search
from indices.protocol import Filter, GeoDistance, Ids, Terms, WithinReach
from matcher.documents import candidate_text, offer_text
from matcher.domain import Candidate, Offer, OfferStatus, Visibility
from matcher.errors import InvalidInput
from matcher.features import FEATURE_LABELS, FEATURES, PairFacts, expected_skills, pair_facts
from matcher.records import candidate_from_row, offer_from_row
from matcher.runtime import CANDIDATES, OFFERS, Runtime
from matcher.scoring import LinearScorer, Scorer
from matcher.services import get_candidate, get_offer
from matcher.store.tables import CandidateRow, OfferRow


class Contribution(BaseModel):
    feature: str
    label: str
    value: float
    contribution: float


class Explanation(BaseModel):
    """Why a pair is where it is: contributions add up to the score."""

    contributions: list[Contribution]
    occupation_relation: str
    matched_skills: list[str]
    missing_skills: list[str]
    skills_source: str
    distance_km: float | None
    contract_types: list[str]


class ShortlistEntry(BaseModel):
    rank: int
    candidate_id: str
    title: str
    score: float
    explanation: Explanation


class Shortlist(BaseModel):
    offer_id: str
    offer_version: int
    model_version: str
    generated_at: datetime
    retrieved: int
    entries: list[ShortlistEntry]


class MatchEntry(BaseModel):
    rank: int
    offer_id: str
    title: str
    employer_id: str
    commune_insee: str
    score: float
    explanation: Explanation


class Matches(BaseModel):
    candidate_id: str
    model_version: str
    generated_at: datetime
    retrieved: int
    entries: list[MatchEntry]


def _explain(facts: PairFacts, contributions: dict[str, float], rt: Runtime) -> Explanation:
    return Explanation(
        contributions=[
            Contribution(
                feature=f, label=FEATURE_LABELS[f], value=round(facts.values[f], 6), contribution=contributions[f]
            )
            for f in FEATURES
            if f in contributions
        ],
        occupation_relation=facts.occupation_relation,
        matched_skills=[rt.taxonomy.skill_label(s) for s in facts.matched_skills],
        missing_skills=[rt.taxonomy.skill_label(s) for s in facts.missing_skills],
        skills_source=facts.skills_source,
        distance_km=round(facts.distance_km, 1) if facts.distance_km is not None else None,
        contract_types=facts.contract_overlap,
    )


def _complete_scores(
    rt: Runtime, index: str, hits: Sequence[HybridHit], text: str, vector: np.ndarray
) -> tuple[dict[str, float], dict[str, float]]:
    """Cosine and BM25 for every fused hit, including those only one retriever returned."""
    cosine = {h.id: h.cosine for h in hits if h.cosine is not None}
    lexical = {h.id: h.bm25 for h in hits if h.bm25 is not None}
    need_vectors = [h.id for h in hits if h.cosine is None]
    for doc_id, stored in rt.backend.vectors(index, need_vectors).items():
        cosine[doc_id] = float(stored @ vector)
    need_bm25 = tuple(h.id for h in hits if h.bm25 is None)
    if need_bm25 and text.strip():
        for hit in rt.backend.bm25(index, text, filters=[Ids(need_bm25)], k=len(need_bm25)):
            lexical[hit.id] = hit.score
    top = max(lexical.values(), default=0.0) or 1.0
    return ({h.id: cosine.get(h.id, 0.0) for h in hits}, {h.id: lexical.get(h.id, 0.0) / top for h in hits})


def build_shortlist(rt: Runtime, *, offer_id: str, limit: int | None = None, scorer: Scorer | None = None) -> Shortlist:
    """Rank visible candidates whose mobility area covers the offer's workplace."""
    with rt.store.read() as session:
        offer = get_offer(session, offer_id=offer_id)
    return shortlist_for(rt, offer=offer, limit=limit, scorer=scorer)


def shortlist_for(rt: Runtime, *, offer: Offer, limit: int | None = None, scorer: Scorer | None = None) -> Shortlist:
    """Shortlist for an offer as given (it need not be stored: evaluation varies its fields)."""
    scorer = scorer or LinearScorer()
    limit = limit or rt.settings.shortlist_size
    workplace = rt.geography.get(offer.commune_insee)
    if workplace is None:
        raise InvalidInput("commune_insee", f"commune inconnue (code INSEE {offer.commune_insee})")
    text = offer_text(offer)
    vector = rt.embedder.embed([text])[0]
    filters: list[Filter] = [
        Terms("visibility", (Visibility.EMPLOYERS.value,)),
        WithinReach(workplace.lat, workplace.lon),
    ]
    hits = hybrid_search(
        rt.backend, CANDIDATES, text=text, vector=vector, filters=filters, k=rt.settings.retrieval_depth
    )
    cosine, lexical = _complete_scores(rt, CANDIDATES, hits, text, vector)
    with rt.store.read() as session:
        rows = session.query(CandidateRow).filter(CandidateRow.id.in_([h.id for h in hits])).all()
        # The store is the truth: a profile closed since it was indexed is dropped here too.
        candidates = {r.id: candidate_from_row(r) for r in rows if r.visibility == Visibility.EMPLOYERS.value}
    skills = expected_skills(offer, rt.taxonomy)
    scored = _score_pairs(rt, scorer, [(offer, c, cosine[c.id], lexical[c.id]) for c in candidates.values()], skills)
    entries = [
        ShortlistEntry(
            rank=rank, candidate_id=candidate.id, title=candidate.title, score=score, explanation=explanation
        )
        for rank, (score, _, candidate, explanation) in enumerate(scored[:limit], start=1)
    ]
    return Shortlist(
        offer_id=offer.id,
        offer_version=offer.version,
        model_version=scorer.version,
        generated_at=datetime.now(UTC),
        retrieved=len(hits),
        entries=entries,
    )


def _score_pairs(
    rt: Runtime,
    scorer: Scorer,
    pairs: list[tuple[Offer, Candidate, float, float]],
    skills: tuple[list[str], str] | None = None,
) -> list[tuple[float, Offer, Candidate, Explanation]]:
    facts = [
        pair_facts(o, c, cosine=cos, lexical=lex, taxonomy=rt.taxonomy, geography=rt.geography, offer_skills=skills)
        for o, c, cos, lex in pairs
    ]
    results = scorer.score([f.values for f in facts])
    scored = [
        (score, offer, candidate, _explain(fact, contributions, rt))
        for (offer, candidate, _, _), fact, (score, contributions) in zip(pairs, facts, results, strict=True)
    ]
    # Ties broken by id so the same data always gives the same order.
    scored.sort(key=lambda item: (-item[0], item[2].id, item[1].id))
    return scored


def build_matches(rt: Runtime, *, candidate_id: str, limit: int | None = None, scorer: Scorer | None = None) -> Matches:
    """Published offers whose workplace lies inside the candidate's mobility area, best first."""
    scorer = scorer or LinearScorer()
    limit = limit or rt.settings.shortlist_size
    with rt.store.read() as session:
        candidate = get_candidate(session, candidate_id=candidate_id)
    centers = tuple((p.lat, p.lon) for code in candidate.mobility.communes if (p := rt.geography.get(code)))
    text = candidate_text(candidate, rt.taxonomy)
    vector = rt.embedder.embed([text])[0]
    filters: list[Filter] = [
        Terms("status", (OfferStatus.PUBLISHED.value,)),
        GeoDistance(centers, candidate.mobility.radius_km),
    ]
    hits = hybrid_search(rt.backend, OFFERS, text=text, vector=vector, filters=filters, k=rt.settings.retrieval_depth)
    cosine, lexical = _complete_scores(rt, OFFERS, hits, text, vector)
    with rt.store.read() as session:
        offers = [offer_from_row(r) for r in session.query(OfferRow).filter(OfferRow.id.in_([h.id for h in hits]))]
    scored = _score_pairs(
        rt, scorer, [(o, candidate, cosine[o.id], lexical[o.id]) for o in offers if o.status == OfferStatus.PUBLISHED]
    )
    entries = [
        MatchEntry(
            rank=rank,
            offer_id=offer.id,
            title=offer.title,
            employer_id=offer.employer_id,
            commune_insee=offer.commune_insee,
            score=score,
            explanation=explanation,
        )
        for rank, (score, offer, _, explanation) in enumerate(scored[:limit], start=1)
    ]
    return Matches(
        candidate_id=candidate.id,
        model_version=scorer.version,
        generated_at=datetime.now(UTC),
        retrieved=len(hits),
        entries=entries,
    )
