"""Shortlists (candidates for an offer) and matches (offers for a candidate), each place explained.

retrieve (hybrid BM25 + kNN, filtered) → features → scorer → explanation. Candidates appear only
when their profile is open to employers and the workplace lies inside their mobility area.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel
from sqlalchemy.orm import Session

from indices.hybrid import HybridHit, hybrid_search
from indices.protocol import Filter, GeoDistance, Ids, SearchBackend, Terms, WithinReach
from matcher.access.accounts import Principal
from matcher.access.tenancy import (
    audience_filter,
    open_to_employers,
    open_to_employers_state,
    own_candidate_id,
    visible_candidate_row,
)
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.models import Offer, OfferStatus
from matcher.core.progress import Progress
from matcher.core.records import candidate_from_row, get_candidate, get_offer, offer_from_row
from matcher.indexing.documents import candidate_text, offer_text, offer_vectors
from matcher.ranking.features import (
    FEATURE_LABELS,
    FEATURES,
    CandidateView,
    OfferView,
    PairFacts,
    feature_matrix,
    has_structure,
    pair_distances,
    shown_facts,
)
from matcher.ranking.scorer import BASE, RetrievalScorer, Scorer
from matcher.ranking.views import candidate_view, offer_view
from matcher.store.tables import CandidateRow, EmployerRow, OfferRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

LABELS = {**FEATURE_LABELS, BASE: "Socle commun à tous les profils"}


class Contribution(BaseModel):
    feature: str
    label: str
    value: float | None  # the feature's value in [0, 1]; None for the common base
    contribution: float


class Explanation(BaseModel):
    """Why a pair is where it is: contributions add up to the score."""

    contributions: list[Contribution]
    occupation: str | None
    occupation_source: str
    occupation_relation: str
    matched_skills: list[str]
    missing_skills: list[str]
    skills_source: str
    distance_km: float | None
    contract_types: list[str]
    note: str | None = None  # e.g. AI ranking switched off for this employer


class ShortlistEntry(BaseModel):
    rank: int
    candidate_id: str
    candidate_version: int | None = None  # the profile version ranked (audit, reproduction)
    title: str
    score: float | None  # None when AI ranking is off: no model scored the place
    explanation: Explanation


class Shortlist(BaseModel):
    offer_id: str
    offer_version: int
    ranking: Literal["model", "search"] = "model"  # search: the employer switched AI ranking off
    model_version: str | None
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


def explain(rt: Runtime, offer: OfferView, facts: PairFacts, contributions: dict[str, float]) -> Explanation:
    # Validated from plain data in one call: a third of the time of building its ~16 parts one by one.
    return Explanation.model_validate(
        {
            "contributions": [
                {"feature": f, "label": LABELS[f], "value": None if f == BASE else facts.values[f], "contribution": c}
                for f, c in contributions.items()
            ],
            "occupation": offer.occupation,
            "occupation_source": offer.occupation_source,
            "occupation_relation": facts.occupation_relation,
            "matched_skills": [rt.taxonomy.skill_label(s) for s in facts.matched_skills],
            "missing_skills": [rt.taxonomy.skill_label(s) for s in facts.missing_skills],
            "skills_source": offer.skills_source,
            "distance_km": round(facts.distance_km, 1) if facts.distance_km is not None else None,
            "contract_types": facts.contract_overlap,
        }
    )


def complete_scores(
    backend: SearchBackend, index: str, hits: Sequence[HybridHit], text: str, vector: np.ndarray
) -> tuple[dict[str, float], dict[str, float]]:
    """Cosine and BM25 for every hit, asked for where the retrieval did not give them (BM25 scaled to [0, 1])."""
    cosine = {h.id: h.cosine for h in hits if h.cosine is not None}
    lexical = {h.id: h.bm25 for h in hits if h.bm25 is not None}
    for doc_id, stored in backend.vectors(index, [h.id for h in hits if h.cosine is None]).items():
        cosine[doc_id] = float(stored @ vector)
    need_bm25 = tuple(h.id for h in hits if h.bm25 is None)
    if need_bm25 and text.strip():
        for hit in backend.bm25(index, text, filters=[Ids(need_bm25)], k=len(need_bm25)):
            lexical[hit.id] = hit.score
    top = max(lexical.values(), default=0.0) or 1.0
    return ({h.id: cosine.get(h.id, 0.0) for h in hits}, {h.id: lexical.get(h.id, 0.0) / top for h in hits})


def scorer_for(pairs: Sequence[tuple[OfferView, CandidateView, float, float]], scorer: Scorer) -> Scorer:
    """``scorer``, or the retrieval's own order when no offer of the list has a structured side (no occupation,
    no skills): the learned weights were fitted where those exist and must not reorder a list they cannot read."""
    return scorer if any(has_structure(offer) for offer, *_ in pairs) else RetrievalScorer()


def rank_pairs(
    rt: Runtime,
    pairs: Sequence[tuple[OfferView, CandidateView, float, float]],
    scorer: Scorer,
    *,
    today: date,
    size: int | None = None,
) -> list[tuple[float, int, Explanation | None]]:
    """Score (offer, candidate, cosine, lexical) pairs; returns (score, pair index, explanation), best first.

    Only the first ``size`` places (all when None) get an explanation: the others are not shown. When no offer
    of the list has a structured side (no occupation, no skills), the retrieval's order is kept as it is.
    """
    distances = pair_distances(pairs)
    X = feature_matrix(pairs, taxonomy=rt.taxonomy, today=today, distances=distances)
    scores = scorer_for(pairs, scorer).score_matrix(X)
    totals = scores.totals.tolist()
    # Ties broken by candidate then offer text, so the same data always gives the same order.
    order = sorted(range(len(pairs)), key=lambda i: (-totals[i], pairs[i][1].id, pairs[i][0].title))
    shown = len(order) if size is None else size
    out: list[tuple[float, int, Explanation | None]] = []
    for rank, i in enumerate(order):
        explanation = None
        if rank < shown:
            offer, candidate = pairs[i][0], pairs[i][1]
            facts = shown_facts(offer, candidate, dict(zip(FEATURES, X[i].tolist(), strict=True)), distances[i])
            explanation = explain(rt, offer, facts, scores.contributions(i))
        out.append((totals[i], i, explanation))
    return out


def build_shortlist(rt: Runtime, *, offer_id: str, size: int | None = None, scorer: Scorer | None = None) -> Shortlist:
    """Rank visible candidates whose mobility area covers the offer's workplace (see :func:`shortlist_of`)."""
    with rt.store.read() as session:
        offer = get_offer(session, offer_id=offer_id)
        ai_ranking = ai_ranking_on(session, employer_id=offer.employer_id)
    return shortlist_of(rt, offer=offer, ai_ranking=ai_ranking, size=size, scorer=scorer)


def ai_ranking_on(session: Session, *, employer_id: str) -> bool:
    """Whether the employer lets the model rank its shortlists (on unless switched off)."""
    employer = session.get(EmployerRow, employer_id)
    return employer is None or employer.ai_ranking is not False


def shortlist_of(
    rt: Runtime, *, offer: Offer, ai_ranking: bool, size: int | None = None, scorer: Scorer | None = None
) -> Shortlist:
    """Shortlist for an offer already read, with ``size`` places (the setting's default when None).

    When the offer's employer switched AI ranking off (human oversight, AI Act art. 14), the places
    are the search results in retrieval order, unscored, behind the same filters.
    """
    if not ai_ranking:
        return search_shortlist(rt, offer=offer, size=size)
    return shortlist_for(rt, offer=offer, size=size, scorer=scorer)


Pair = tuple[OfferView, CandidateView, float, float]


def candidate_pairs(
    rt: Runtime, *, offer: Offer, hide_occupation: bool = False, also: Sequence[str] = ()
) -> tuple[list[Pair], int]:
    """(offer view, candidate view, cosine, scaled BM25) for every retrieved candidate, and how many were retrieved.

    ``also`` adds candidates to score even if retrieval missed them (training on recruiters' decisions).
    """
    pairs, retrieved, _ = _retrieve(rt, offer=offer, hide_occupation=hide_occupation, also=also)
    return pairs, retrieved


def _retrieve(
    rt: Runtime, *, offer: Offer, hide_occupation: bool = False, also: Sequence[str] = ()
) -> tuple[list[Pair], int, dict[str, int]]:
    """:func:`candidate_pairs`, plus the version of each profile read (for the audit log)."""
    view = (
        offer_view(
            offer,
            taxonomy=rt.taxonomy,
            geography=rt.geography,
            inferer=rt.inferer,
            extractor=rt.extractor,
            hide_occupation=True,
        )
        if hide_occupation
        else rt.offer_views.of(offer)  # kept by (id, version): skills extracted once per offer version
    )
    text = offer_text(offer)
    vector = offer_vectors(rt.embedder, [offer.title], [text])[0]  # as indexed: the same vector both ways
    # Profiles open to every employer, and those whose partner consent names this offer's employer.
    filters: list[Filter] = [audience_filter((offer.employer_id,))]
    if view.place:
        filters.append(WithinReach(*view.place))
    # ``complete``: the scores each retriever did not return come in the same request where the backend can.
    hits = hybrid_search(
        rt.backend, CANDIDATES, text=text, vector=vector, filters=filters, k=rt.settings.retrieval_depth, complete=True
    )
    retrieved = len(hits)
    known = {h.id for h in hits}
    hits += [HybridHit(i, 0.0, None, None, None, None) for i in dict.fromkeys(also) if i not in known]
    cosine, lexical = complete_scores(rt.backend, CANDIDATES, hits, text, vector)
    views = rt.candidate_views
    with rt.store.read() as session:
        # The store is the truth: a profile closed since it was indexed, or without a dated consent, is dropped.
        # Only the columns deciding that are read; full rows only for profiles whose view is not kept yet.
        stated = session.query(
            CandidateRow.id,
            CandidateRow.version,
            CandidateRow.visibility,
            CandidateRow.consented_at,
            CandidateRow.partner_consent,
        ).filter(CandidateRow.id.in_([h.id for h in hits]))
        versions = {
            doc_id: version
            for doc_id, version, visibility, consented_at, consent in stated
            if open_to_employers_state(visibility, consented_at, consent, (offer.employer_id,))
        }
        kept = views.get_many(versions)
        missing = [doc_id for doc_id, found in kept.items() if found is None]
        if missing:
            for row in session.query(CandidateRow).filter(CandidateRow.id.in_(missing)):
                if open_to_employers(row, (offer.employer_id,)):
                    versions[row.id] = row.version
                    kept[row.id] = views.of(candidate_from_row(row))
                else:  # closed between the two reads
                    kept.pop(row.id, None)
    # Pairs keep the retrieval order (the order shown when AI ranking is off).
    pairs = [
        (view, candidate, cosine.get(h.id, 0.0), lexical.get(h.id, 0.0))
        for h in hits
        if (candidate := kept.get(h.id)) is not None
    ]
    return pairs, retrieved, {p[1].id: versions[p[1].id] for p in pairs}


def shortlist_for(
    rt: Runtime, *, offer: Offer, size: int | None = None, scorer: Scorer | None = None, hide_occupation: bool = False
) -> Shortlist:
    """Shortlist for an offer as given (evaluation may hide its ROME code to test inference)."""
    scorer = scorer or rt.scorer
    size = size or rt.settings.shortlist_size
    pairs, retrieved, versions = _retrieve(rt, offer=offer, hide_occupation=hide_occupation)
    scorer = scorer_for(pairs, scorer)  # recorded as the model that ranked the list
    ranked = rank_pairs(rt, pairs, scorer, today=datetime.now(UTC).date(), size=size)
    entries = [
        ShortlistEntry(
            rank=rank,
            candidate_id=pairs[i][1].id,
            candidate_version=versions[pairs[i][1].id],
            title=pairs[i][1].title,
            score=score,
            explanation=explanation,
        )
        for rank, (score, i, explanation) in enumerate(ranked[:size], start=1)
        if explanation is not None  # always true: the first ``size`` places are explained
    ]
    return Shortlist(
        offer_id=offer.id,
        offer_version=offer.version,
        model_version=scorer.version,
        generated_at=datetime.now(UTC),
        retrieved=retrieved,
        entries=entries,
    )


AI_OFF_NOTE = (
    "Classement par intelligence artificielle désactivé par cet employeur : les profils sont présentés dans "
    "l'ordre de la recherche (mots-clés et proximité du texte), sans score de modèle. Les faits ci-dessous "
    "(compétences, distance) sont indicatifs et n'ont servi à aucun classement."
)


def search_shortlist(rt: Runtime, *, offer: Offer, size: int | None = None) -> Shortlist:
    """Places in retrieval order, same filters (visibility, dated consent, mobility area), no model score."""
    size = size or rt.settings.shortlist_size
    pairs, retrieved, versions = _retrieve(rt, offer=offer)
    distances = pair_distances(pairs)
    X = feature_matrix(pairs, taxonomy=rt.taxonomy, today=datetime.now(UTC).date(), distances=distances)
    entries = []
    for rank, (view, candidate, _, _) in enumerate(pairs[:size], start=1):
        values = dict(zip(FEATURES, X[rank - 1].tolist(), strict=True))
        facts = shown_facts(view, candidate, values, distances[rank - 1])
        explanation = explain(rt, view, facts, {}).model_copy(update={"note": AI_OFF_NOTE})
        entries.append(
            ShortlistEntry(
                rank=rank,
                candidate_id=candidate.id,
                candidate_version=versions[candidate.id],
                title=candidate.title,
                score=None,
                explanation=explanation,
            )
        )
    return Shortlist(
        offer_id=offer.id,
        offer_version=offer.version,
        ranking="search",
        model_version=None,
        generated_at=datetime.now(UTC),
        retrieved=retrieved,
        entries=entries,
    )


def build_matches(rt: Runtime, *, candidate_id: str, size: int | None = None, scorer: Scorer | None = None) -> Matches:
    """Published offers whose workplace lies inside the candidate's mobility area, best first (``size`` of them)."""
    scorer = scorer or rt.scorer
    size = size or rt.settings.shortlist_size
    with rt.store.read() as session:
        candidate = get_candidate(session, candidate_id=candidate_id)
    text = candidate_text(candidate, rt.taxonomy)
    view = candidate_view(
        candidate, candidate_id=candidate.id, text=text, geography=rt.geography, inferer=lambda: rt.inferer
    )
    vector = rt.embedder.embed([text], owners=[candidate.id])[0]
    filters: list[Filter] = [
        Terms("status", (OfferStatus.PUBLISHED.value,)),
        GeoDistance(view.places, candidate.mobility.radius_km),
    ]
    hits = hybrid_search(
        rt.backend, OFFERS, text=text, vector=vector, filters=filters, k=rt.settings.retrieval_depth, complete=True
    )
    cosine, lexical = complete_scores(rt.backend, OFFERS, hits, text, vector)
    with rt.store.read() as session:
        # The store is the truth (an offer closed since it was indexed is dropped). Only the columns an entry
        # shows are read; whole offers only for those whose view (kept by version) is not kept yet.
        offers = [
            row
            for row in session.query(
                OfferRow.id, OfferRow.version, OfferRow.title, OfferRow.employer_id, OfferRow.commune_insee
            ).filter(OfferRow.id.in_([h.id for h in hits]), OfferRow.status == OfferStatus.PUBLISHED.value)
        ]
        views = rt.offer_views.get_many({o.id: o.version for o in offers})
        missing = [offer_id for offer_id, found in views.items() if found is None]
        if missing:
            for row in session.query(OfferRow).filter(OfferRow.id.in_(missing)):
                views[row.id] = rt.offer_views.of(offer_from_row(row))
    kept = {offer_id: found for offer_id, found in views.items() if found is not None}
    offers = [o for o in offers if o.id in kept]  # not one deleted between the two reads
    pairs = [(kept[o.id], view, cosine[o.id], lexical[o.id]) for o in offers]
    scorer = scorer_for(pairs, scorer)
    ranked = rank_pairs(rt, pairs, scorer, today=datetime.now(UTC).date(), size=size)
    entries = [
        MatchEntry(
            rank=rank,
            offer_id=offers[i].id,
            title=offers[i].title,
            employer_id=offers[i].employer_id,
            commune_insee=offers[i].commune_insee,
            score=score,
            explanation=explanation,
        )
        for rank, (score, i, explanation) in enumerate(ranked[:size], start=1)
        if explanation is not None  # always true: the first ``size`` places are explained
    ]
    return Matches(
        candidate_id=candidate.id,
        model_version=scorer.version,
        generated_at=datetime.now(UTC),
        retrieved=len(hits),
        entries=entries,
    )


def matches_for(
    rt: Runtime, *, principal: Principal, candidate_id: str | None = None, size: int | None = None
) -> Matches:
    """The matches of a candidate the principal may see (their own profile when ``candidate_id`` is None)."""
    if candidate_id is None:
        candidate_id = own_candidate_id(principal)
    else:
        with rt.store.read() as session:
            visible_candidate_row(session, principal, candidate_id)
    return build_matches(rt, candidate_id=candidate_id, size=size)


def warm_up(rt: Runtime, *, progress: Progress | None = None) -> int:
    """Build the views of every published offer once, before the first seeker asks for matches."""
    with rt.store.read() as session:
        offers = [
            offer_from_row(r) for r in session.query(OfferRow).filter(OfferRow.status == OfferStatus.PUBLISHED.value)
        ]
    if progress:
        progress("vues des offres", 0, len(offers))  # starts the clock: rates are then per second of work
    for done, offer in enumerate(offers, start=1):
        rt.offer_views.of(offer)
        if progress and (done % 50 == 0 or done == len(offers)):
            progress("vues des offres", done, len(offers))
    return len(offers)
