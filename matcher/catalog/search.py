"""Direct search (free text + filters) and saved searches: a recruiter's candidate searches, a seeker's alerts.

Candidate search is plain retrieval, no ranking model: it finds profiles opened to employers (with
recorded consent: to all of them, or to the searcher's employer by name) whose mobility area covers
the chosen commune. Saved searches belong to one account; the job runner sends seekers' alerts as
digests at the chosen frequency.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from indices.hybrid import hybrid_search
from indices.protocol import Filter, GeoDistance, Terms, WithinReach
from matcher.access.accounts import Principal
from matcher.access.tenancy import audience_filter, open_to_employers
from matcher.catalog.validation import check_commune
from matcher.core.errors import InvalidInput, NotFound
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.models import ContractType, InseeCode, OfferStatus, RomeCode, Strict, Text
from matcher.core.outbox import new_id
from matcher.store.tables import CandidateRow, SavedSearchRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

Query = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class Frequency(StrEnum):
    NONE = "none"
    DAILY = "daily"
    WEEKLY = "weekly"


class SearchFilters(Strict):
    rome_codes: list[RomeCode] = Field(default_factory=list, max_length=20)
    contract_types: list[ContractType] = Field(default_factory=list, max_length=8)
    commune_insee: InseeCode | None = Field(
        default=None, description="Lieu de travail (candidats) ou domicile (alertes)"
    )
    radius_km: float = Field(default=30, gt=0, le=300, description="Rayon autour de la commune, pour les alertes")


class SearchIn(Strict):
    query: Query = ""
    filters: SearchFilters = Field(default_factory=SearchFilters)
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1000)


class CandidateHit(BaseModel):
    candidate_id: str
    display_name: str
    title: str
    desired_occupations: list[str]
    radius_km: float
    relevance: float = Field(description="Score de fusion de la recherche (pas un score du modèle)")


class CandidateResults(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CandidateHit]
    message: str | None = Field(default=None, description="Quand rien ne correspond : ce qu'il faut élargir")
    relax: list[str] = Field(default_factory=list, description="Filtres à élargir : commune_insee, contract_types…")


class SavedSearchIn(Strict):
    name: Text
    query: Query = ""
    filters: SearchFilters = Field(default_factory=SearchFilters)
    frequency: Frequency = Frequency.NONE


class SavedSearch(SavedSearchIn):
    id: str
    kind: str
    created_at: datetime
    last_sent_at: datetime | None


def _filters(rt: Runtime, filters: SearchFilters, *, index: str) -> list[Filter]:
    out: list[Filter] = []
    if filters.rome_codes:
        out.append(Terms("rome_code", tuple(filters.rome_codes)))
    if filters.contract_types:
        out.append(Terms("contract_types", tuple(c.value for c in filters.contract_types)))
    if filters.commune_insee:
        check_commune(rt.geography, "filters.commune_insee", filters.commune_insee)
        point = rt.geography.coordinates(filters.commune_insee)
        assert point is not None
        out.append(WithinReach(*point) if index == CANDIDATES else GeoDistance((point,), filters.radius_km))
    return out


def search_candidates(rt: Runtime, search: SearchIn, *, employer_ids: Iterable[str] = ()) -> CandidateResults:
    """Profiles that match the text and filters, in retrieval order, among those open to every employer or, by a
    consent naming them, to one of ``employer_ids`` (the searching recruiter's)."""
    employer_ids = frozenset(employer_ids)
    filters = [audience_filter(employer_ids), *_filters(rt, search.filters, index=CANDIDATES)]
    vector = rt.embedder.embed([search.query or "profil"])[0]
    depth = min(search.offset + search.limit, 1100)
    hits = hybrid_search(rt.backend, CANDIDATES, text=search.query, vector=vector, filters=filters, k=depth)
    if not search.query:  # without text, nearness of vectors means nothing: order by id for a stable list
        hits = sorted(hits, key=lambda h: h.id)
    else:  # a floor: profiles the words match, or close enough in meaning; below it, nothing rather than noise
        hits = [h for h in hits if h.bm25 is not None or (h.cosine or 0.0) >= rt.settings.search_min_cosine]
    page = hits[search.offset : search.offset + search.limit]
    with rt.store.read() as session:
        rows = {r.id: r for r in session.scalars(select(CandidateRow).where(CandidateRow.id.in_([h.id for h in page])))}
    items = [
        CandidateHit(
            candidate_id=h.id,
            display_name=row.display_name,
            title=row.title,
            desired_occupations=list(row.desired_occupations),
            radius_km=float(row.mobility["radius_km"]),
            relevance=round(h.score, 6),
        )
        for h in page
        # The store is the truth, the index may lag.
        if (row := rows.get(h.id)) is not None and open_to_employers(row, employer_ids)
    ]
    if hits:
        return CandidateResults(total=len(hits), limit=search.limit, offset=search.offset, items=items)
    relax = _what_to_relax(search)
    return CandidateResults(
        total=0,
        limit=search.limit,
        offset=search.offset,
        items=[],
        message="Aucun profil ne correspond. Essayez d'élargir : " + ", ".join(RELAX_LABELS[r] for r in relax) + ".",
        relax=relax,
    )


RELAX_LABELS = {
    "commune_insee": "le lieu de travail (retirez la commune, ou choisissez une ville plus grande)",
    "contract_types": "les types de contrat",
    "rome_codes": "les métiers",
    "query": "les termes de la recherche (moins de mots, des synonymes)",
}


def _what_to_relax(search: SearchIn) -> list[str]:
    """The filters of an empty search worth widening, the narrowest first."""
    f = search.filters
    relax = []
    if f.commune_insee:
        relax.append("commune_insee")
    if f.contract_types:
        relax.append("contract_types")
    if f.rome_codes:
        relax.append("rome_codes")
    if search.query:
        relax.append("query")
    return relax or ["query"]


def matching_offer_ids(
    rt: Runtime,
    query: str,
    filters: SearchFilters,
    *,
    k: int = 200,
    ids: Sequence[str] | None = None,
    min_cosine: float | None = None,
    extra: Sequence[Filter] = (),
) -> list[str]:
    """Published offers matching an alert's text and filters, best first (used by alert digests).

    ``ids``: only among these offers (all of them may come back). ``min_cosine``: with query text, keep
    only the hits its words match or whose vector is at least this similar. ``extra``: more filters (the
    public board's domain and category).

    Raises:
        InvalidInput: ``filters`` name a commune that does not exist.
    """
    from indices.protocol import Ids

    flt = [Terms("status", (OfferStatus.PUBLISHED.value,)), *_filters(rt, filters, index=OFFERS), *extra]
    depth = None
    if ids is not None:
        if not ids:
            return []
        flt.insert(0, Ids(tuple(ids)))
        k = depth = len(ids)
    vector = rt.embedder.embed([query or "offre"])[0]
    hits = hybrid_search(rt.backend, OFFERS, text=query, vector=vector, filters=flt, k=k, depth=depth)
    if query and min_cosine is not None:
        hits = [h for h in hits if h.bm25 is not None or (h.cosine or 0.0) >= min_cosine]
    return [h.id for h in hits]


# --- saved searches --------------------------------------------------------------------------


def _saved(row: SavedSearchRow) -> SavedSearch:
    return SavedSearch(
        id=row.id,
        kind=row.kind,
        name=row.name,
        query=row.query,
        filters=SearchFilters.model_validate(row.filters),
        frequency=Frequency(row.frequency),
        created_at=row.created_at,
        last_sent_at=row.last_sent_at,
    )


def save(rt: Runtime, session: Session, *, account_id: str, kind: str, data: SavedSearchIn) -> SavedSearch:
    if data.filters.commune_insee:
        check_commune(rt.geography, "filters.commune_insee", data.filters.commune_insee)
    if kind == "candidates" and data.frequency is not Frequency.NONE:
        raise InvalidInput("frequency", "les recherches de candidats ne sont pas envoyées : fréquence « none »")
    row = SavedSearchRow(
        id=new_id("srch"),
        account_id=account_id,
        kind=kind,
        name=data.name,
        query=data.query,
        filters=data.filters.model_dump(mode="json"),
        frequency=data.frequency.value,
    )
    session.add(row)
    session.flush()
    return _saved(row)


def _own(session: Session, account_id: str, kind: str, search_id: str) -> SavedSearchRow:
    row = session.get(SavedSearchRow, search_id)
    if row is None or row.account_id != account_id or row.kind != kind:
        raise NotFound("recherche", search_id)
    return row


def get_saved(session: Session, *, account_id: str, kind: str, search_id: str) -> SavedSearch:
    return _saved(_own(session, account_id, kind, search_id))


def list_saved(session: Session, *, account_id: str, kind: str) -> list[SavedSearch]:
    rows = session.scalars(
        select(SavedSearchRow)
        .where(SavedSearchRow.account_id == account_id, SavedSearchRow.kind == kind)
        .order_by(SavedSearchRow.created_at)
    )
    return [_saved(r) for r in rows]


def delete_saved(session: Session, *, account_id: str, kind: str, search_id: str) -> None:
    session.delete(_own(session, account_id, kind, search_id))


def saved_searches(rt: Runtime, *, principal: Principal, kind: str) -> list[SavedSearch]:
    """The principal's own saved searches of one kind (``candidates``: a recruiter's; ``offers``: alerts)."""
    with rt.store.read() as session:
        return list_saved(session, account_id=principal.subject, kind=kind)


def save_search(rt: Runtime, *, principal: Principal, kind: str, data: SavedSearchIn) -> SavedSearch:
    """Keep a search (or an alert) for the principal."""
    with rt.store.transaction() as session:
        return save(rt, session, account_id=principal.subject, kind=kind, data=data)


def delete_search(rt: Runtime, *, principal: Principal, kind: str, search_id: str) -> None:
    """Delete one of the principal's own saved searches (another's is NotFound)."""
    with rt.store.transaction() as session:
        delete_saved(session, account_id=principal.subject, kind=kind, search_id=search_id)


def run_saved_search(rt: Runtime, *, principal: Principal, search_id: str, limit: int, offset: int) -> CandidateResults:
    """A page of the results of one of the recruiter's saved candidate searches, run now."""
    with rt.store.read() as session:
        saved = get_saved(session, account_id=principal.subject, kind="candidates", search_id=search_id)
    search = SearchIn(query=saved.query, filters=saved.filters, limit=limit, offset=offset)
    return search_candidates(rt, search, employer_ids=principal.employer_ids)
