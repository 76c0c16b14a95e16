"""Shortlists as HR gets them: built on request, kept, read page by page, every build and view audited.

A kept shortlist stores ids, scores and explanations, never names: names are read from the
profiles when the list is shown, so a profile erased or withdrawn since simply drops out.
Building one also queues its delivery to the employer's webhook (through the outbox).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.access import tenancy
from matcher.access.accounts import Principal
from matcher.core.errors import NotFound
from matcher.core.models import Decision
from matcher.core.outbox import enqueue, new_id
from matcher.governance import audit, pseudonyms, transparency
from matcher.governance.privacy import shortlists_with
from matcher.ranking.pipeline import Explanation, build_shortlist
from matcher.store.tables import CandidateRow, FeedbackRow, ShortlistRow

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


def build(rt: Runtime, *, principal: Principal, offer_id: str, size: int | None = None) -> ShortlistSummary:
    """Rank candidates for an offer the principal acts for, keep the result, audit it, queue its delivery."""
    with rt.store.read() as session:
        offer = tenancy.offer_row(session, principal, offer_id)
        employer_id = offer.employer_id
    size = size or rt.settings.shortlist_size
    result = build_shortlist(rt, offer_id=offer_id, limit=size)
    ranking = result.ranking
    shortlist_id = new_id("sl")
    with rt.store.transaction() as session:
        row = ShortlistRow(
            id=shortlist_id,
            offer_id=offer_id,
            employer_id=employer_id,
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


def list_for_offer(session: Session, *, principal: Principal, offer_id: str) -> list[ShortlistSummary]:
    tenancy.offer_row(session, principal, offer_id)
    rows = session.scalars(
        select(ShortlistRow).where(ShortlistRow.offer_id == offer_id).order_by(ShortlistRow.built_at.desc())
    )
    return [_summary(r) for r in rows]


def read(
    rt: Runtime, *, principal: Principal, offer_id: str, shortlist_id: str, limit: int, offset: int
) -> ShortlistPage:
    """A page of a kept shortlist (``latest`` for the newest); records who viewed it."""
    with rt.store.transaction() as session:
        row = _row(session, principal, offer_id, shortlist_id)
        page = row.entries[offset : offset + limit]
        ids = [e["candidate_id"] for e in page]
        profiles = {
            r.id: r
            for r in session.scalars(select(CandidateRow).where(CandidateRow.id.in_(ids)))
            if tenancy.open_to_employers(r)
        }
        decisions = _latest_decisions(session, offer_id, ids)
        places = [_place(e, profiles[e["candidate_id"]], decisions) for e in page if e["candidate_id"] in profiles]
        names = pseudonyms.pseudonyms(session, [p.candidate_id for p in places])  # the log names no one
        audit.record(
            session,
            actor=principal.subject,
            action="shortlist.viewed",
            subject=row.id,
            payload={
                "offer_id": offer_id,
                "offset": offset,
                "limit": limit,
                "shown": [names[p.candidate_id] for p in places],
            },
        )
        summary = _summary(row)
    return ShortlistPage(**summary.model_dump(), total=len(row.entries), limit=limit, offset=offset, places=places)


def _latest_decisions(session: Session, offer_id: str, candidate_ids: list[str]) -> dict[str, Decision]:
    rows = session.execute(
        select(FeedbackRow.candidate_id, FeedbackRow.decision)
        .where(FeedbackRow.offer_id == offer_id, FeedbackRow.candidate_id.in_(candidate_ids))
        .order_by(FeedbackRow.id)
    ).all()
    return {candidate_id: Decision(decision) for candidate_id, decision in rows}  # later rows win


def _place(entry: dict[str, Any], profile: CandidateRow, decisions: dict[str, Decision]) -> Place:
    return Place(
        rank=entry["rank"],
        candidate_id=entry["candidate_id"],
        display_name=profile.display_name,
        title=profile.title,
        score=entry["score"],
        explanation=Explanation.model_validate(entry["explanation"]) if entry["explanation"] else None,
        decision=decisions.get(entry["candidate_id"]),
    )


def statement(
    session: Session, *, principal: Principal, offer_id: str, shortlist_id: str, candidate_id: str
) -> dict[str, Any]:
    """The CRPA statement (role of the algorithm, data, weights, operations) for one place of a kept shortlist."""
    row = _row(session, principal, offer_id, shortlist_id)
    tenancy.visible_candidate_row(session, principal, candidate_id)  # a withdrawn profile is out of sight here too
    found = transparency.for_kept_shortlist(row, candidate_id)
    if found is None:
        raise NotFound("place", candidate_id)
    return {**found, "texte": transparency.render(found)}


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
