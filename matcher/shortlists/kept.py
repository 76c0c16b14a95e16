"""Shortlists as HR gets them: built on request, kept, read page by page, every build and view audited.

A kept shortlist stores ids, scores and explanations, never names: names are read from the
profiles when the list is shown, so a profile erased or withdrawn since simply drops out.
Building one also queues its delivery to the employer's webhook (through the outbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.access import tenancy
from matcher.access.accounts import Principal
from matcher.catalog.employers import get_employer
from matcher.core.errors import InvalidInput, NotFound
from matcher.core.models import Decision, Employer, Offer
from matcher.core.outbox import enqueue, new_id
from matcher.core.records import offer_from_row
from matcher.governance import audit, pseudonyms, transparency
from matcher.governance.privacy import shortlists_with
from matcher.ranking.pipeline import Explanation, ai_ranking_on, shortlist_of
from matcher.ranking.views import OfferReading, offer_reading
from matcher.store.tables import CandidateRow, FeedbackRow, OfferRow, ShortlistRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime


class Place(BaseModel):
    rank: int
    candidate_id: str
    display_name: str
    title: str
    score: float | None
    explanation: Explanation | None
    decision: Decision | None  # the latest decision recorded for this candidate on this offer
    decision_reason: str | None = None  # its reason (a rejection always has one)
    home_commune: str | None = None  # INSEE code of the first commune of the mobility area
    experience_years: float = 0.0
    available_from: date | None = None


class ShortlistSummary(BaseModel):
    id: str
    offer_id: str
    offer_version: int
    built_at: datetime
    built_by: str | None
    ranking: str
    model_version: str | None
    size: int


class ShortlistPage(ShortlistSummary):
    total: int
    limit: int
    offset: int
    places: list[Place]


def _summary(row: ShortlistRow) -> ShortlistSummary:
    return ShortlistSummary(
        id=row.id,
        offer_id=row.offer_id,
        offer_version=row.offer_version,
        built_at=row.built_at,
        built_by=row.built_by,
        ranking=row.ranking,
        model_version=row.model_version,
        size=len(row.entries),
    )


def checked_size(rt: Runtime, size: int | None) -> int:
    """How many places a shortlist keeps: the setting's default, or what was asked within the allowed bound.

    Raises:
        InvalidInput: ``size`` is below 1 or above ``max_shortlist_size``.
    """
    if size is None:
        return rt.settings.shortlist_size
    if not 1 <= size <= rt.settings.max_shortlist_size:
        raise InvalidInput("size", f"une présélection compte de 1 à {rt.settings.max_shortlist_size} places")
    return size


def build(rt: Runtime, *, principal: Principal, offer_id: str, size: int | None = None) -> ShortlistSummary:
    """Rank candidates for an offer the principal acts for, keep the result, audit it, queue its delivery.

    The offer is read once, here, and handed to the ranking.
    """
    size = checked_size(rt, size)
    with rt.store.read() as session:
        offer = offer_from_row(tenancy.offer_row(session, principal, offer_id))
        ai_ranking = ai_ranking_on(session, employer_id=offer.employer_id)
    result = shortlist_of(rt, offer=offer, ai_ranking=ai_ranking, size=size)
    ranking = result.ranking
    shortlist_id = new_id("sl")
    with rt.store.transaction() as session:
        row = ShortlistRow(
            id=shortlist_id,
            offer_id=offer_id,
            employer_id=offer.employer_id,
            offer_version=result.offer_version,
            built_by=principal.subject,
            built_at=result.generated_at,
            ranking=ranking,
            model_version=result.model_version if ranking == "model" else None,
            parameters={"size": size, "retrieval_depth": rt.settings.retrieval_depth, "retrieved": result.retrieved},
            entries=[
                {
                    "candidate_id": e.candidate_id,
                    "candidate_version": e.candidate_version,
                    "rank": e.rank,
                    "score": e.score,
                    "explanation": e.explanation.model_dump(mode="json"),
                }
                for e in result.entries
            ],
        )
        session.add(row)
        audit.record_shortlist_built(
            session, actor=principal.subject, shortlist_id=shortlist_id, shortlist=result, parameters=row.parameters
        )
        enqueue(session, topic="shortlist", entity_id=shortlist_id, version=1, action="built")
        session.flush()
        return _summary(row)


def _row(session: Session, principal: Principal, offer_id: str, shortlist_id: str) -> ShortlistRow:
    tenancy.offer_row(session, principal, offer_id)
    row = session.get(ShortlistRow, shortlist_id) if shortlist_id != "latest" else _latest(session, offer_id)
    if row is None or row.offer_id != offer_id:
        raise NotFound("présélection", shortlist_id)
    return row


def _latest(session: Session, offer_id: str) -> ShortlistRow | None:
    return session.scalar(
        select(ShortlistRow).where(ShortlistRow.offer_id == offer_id).order_by(ShortlistRow.built_at.desc()).limit(1)
    )


def _summaries(session: Session, offer_id: str) -> list[ShortlistSummary]:
    rows = session.scalars(
        select(ShortlistRow).where(ShortlistRow.offer_id == offer_id).order_by(ShortlistRow.built_at.desc())
    )
    return [_summary(r) for r in rows]


def list_for_offer(rt: Runtime, *, principal: Principal, offer_id: str) -> list[ShortlistSummary]:
    """The shortlists kept for an offer the principal acts for, newest first."""
    with rt.store.read() as session:
        tenancy.offer_row(session, principal, offer_id)
        return _summaries(session, offer_id)


def read(
    rt: Runtime, *, principal: Principal, offer_id: str, shortlist_id: str, limit: int, offset: int
) -> ShortlistPage:
    """A page of a kept shortlist (``latest`` for the newest); records who viewed it."""
    with rt.store.transaction() as session:
        return _page(session, principal, _row(session, principal, offer_id, shortlist_id), limit, offset)


def _page(session: Session, principal: Principal, row: ShortlistRow, limit: int, offset: int) -> ShortlistPage:
    page = row.entries[offset : offset + limit]
    ids = [e["candidate_id"] for e in page]
    employer_id = session.scalar(select(OfferRow.employer_id).where(OfferRow.id == row.offer_id))
    profiles = {
        r.id: r
        for r in session.scalars(select(CandidateRow).where(CandidateRow.id.in_(ids)))
        if tenancy.open_to_employers(r, [employer_id] if employer_id else [])
    }
    decisions = _latest_decisions(session, row.offer_id, ids)
    places = [_place(e, profiles[e["candidate_id"]], decisions) for e in page if e["candidate_id"] in profiles]
    names = pseudonyms.pseudonyms(session, [p.candidate_id for p in places])  # the log names no one
    audit.record(
        session,
        actor=principal.subject,
        action="shortlist.viewed",
        subject=row.id,
        payload={
            "offer_id": row.offer_id,
            "offset": offset,
            "limit": limit,
            "shown": [names[p.candidate_id] for p in places],
        },
    )
    summary = _summary(row)
    return ShortlistPage(**summary.model_dump(), total=len(row.entries), limit=limit, offset=offset, places=places)


@dataclass(frozen=True)
class OfferShortlists:
    """An offer with its employer, what the ranking reads in it, the shortlists kept for it, and the first page of
    the latest one."""

    offer: Offer
    employer: Employer
    reading: OfferReading
    kept: list[ShortlistSummary]
    latest: ShortlistPage | None


def offer_with_shortlists(rt: Runtime, *, principal: Principal, offer_id: str, limit: int) -> OfferShortlists:
    """What a recruiter sees of an offer they act for; viewing the latest shortlist is audited like any read."""
    with rt.store.transaction() as session:
        row = tenancy.offer_row(session, principal, offer_id)
        employer = get_employer(session, employer_id=row.employer_id)
        kept = _summaries(session, offer_id)
        latest = _latest(session, offer_id) if kept else None
        page = _page(session, principal, latest, limit, 0) if latest is not None else None
        offer = offer_from_row(row)
    # Read outside the transaction: a view not kept yet is built from the offer's text (the classifier may load).
    reading = offer_reading(rt.offer_views.of(offer), rt.taxonomy, corrections=rt.inferer.corrections_for(offer.title))
    return OfferShortlists(offer=offer, employer=employer, reading=reading, kept=kept, latest=page)


def _latest_decisions(
    session: Session, offer_id: str, candidate_ids: list[str]
) -> dict[str, tuple[Decision, str | None]]:
    rows = session.execute(
        select(FeedbackRow.candidate_id, FeedbackRow.decision, FeedbackRow.reason)
        .where(FeedbackRow.offer_id == offer_id, FeedbackRow.candidate_id.in_(candidate_ids))
        .order_by(FeedbackRow.id)
    ).all()
    return {candidate_id: (Decision(decision), reason) for candidate_id, decision, reason in rows}  # later rows win


def _place(entry: dict[str, Any], profile: CandidateRow, decisions: dict[str, tuple[Decision, str | None]]) -> Place:
    decision, reason = decisions.get(entry["candidate_id"], (None, None))
    return Place(
        rank=entry["rank"],
        candidate_id=entry["candidate_id"],
        display_name=profile.display_name,
        title=profile.title,
        score=entry["score"],
        explanation=Explanation.model_validate(entry["explanation"]) if entry["explanation"] else None,
        decision=decision,
        decision_reason=reason,
        home_commune=next(iter(profile.mobility.get("communes") or []), None),
        experience_years=sum(float(e.get("years") or 0) for e in profile.experiences),
        available_from=date.fromisoformat(profile.available_from) if profile.available_from else None,
    )


def statement(
    rt: Runtime, *, principal: Principal, offer_id: str, shortlist_id: str, candidate_id: str
) -> dict[str, Any]:
    """The CRPA statement (role of the algorithm, data, weights, operations) for one place of a kept shortlist."""
    with rt.store.read() as session:
        row = _row(session, principal, offer_id, shortlist_id)
        tenancy.visible_candidate_row(session, principal, candidate_id)  # a withdrawn profile is out of sight too
        found = transparency.for_kept_shortlist(row, candidate_id)
    if found is None:
        raise NotFound("place", candidate_id)
    return {**found, "texte": transparency.render(found)}


def my_statements(rt: Runtime, *, principal: Principal) -> list[dict[str, Any]]:
    """The statements about the job seeker's own profile (NotFound until they have one)."""
    candidate_id = tenancy.own_candidate_id(principal)
    with rt.store.read() as session:
        return statements_about(session, candidate_id=candidate_id)


def statements_about(session: Session, *, candidate_id: str) -> list[dict[str, Any]]:
    """Every kept shortlist a person appears on, with its statement: what they may ask under the CRPA."""
    out = []
    for row in sorted(shortlists_with(session, candidate_id), key=lambda r: r.built_at):
        found = transparency.for_kept_shortlist(row, candidate_id)
        if found is not None:
            out.append(
                {
                    "shortlist_id": row.id,
                    "built_at": row.built_at.isoformat(),
                    **found,
                    "texte": transparency.render(found),
                }
            )
    return out
