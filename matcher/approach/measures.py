"""Measures HR reads from approaches: sent, answer and acceptance rates, time to answer, sources."""

from __future__ import annotations

from statistics import median
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.access import tenancy
from matcher.access.accounts import Principal
from matcher.approach.approaches import Status
from matcher.core.errors import NotFound
from matcher.store.tables import ApproachRow, EmployerRow, PipelineEventRow

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement

    from matcher.runtime import Runtime


class Measures(BaseModel):
    sent: int = Field(description="Approches envoyées")
    answered: int = Field(description="Acceptées ou déclinées")
    accepted: int
    declined: int
    expired: int
    open: int
    answer_rate: float | None = Field(description="Réponses / approches arrivées à terme (hors ouvertes)")
    acceptance_rate: float | None = Field(description="Acceptations / réponses")
    median_hours_to_answer: float | None
    declined_by_reason: dict[str, int]
    sources: dict[str, int] = Field(description="D'où viennent les candidats du vivier : shortlist, search, interest")


def _measure(session: Session, *, approaches: ColumnElement[bool], events: ColumnElement[bool]) -> Measures:
    rows = list(session.scalars(select(ApproachRow).where(approaches)))
    firsts: dict[tuple[str, str], str] = {}
    for offer_id, candidate_id, source in session.execute(
        select(PipelineEventRow.offer_id, PipelineEventRow.candidate_id, PipelineEventRow.source)
        .where(events, PipelineEventRow.source.is_not(None))
        .order_by(PipelineEventRow.id)
    ):
        firsts.setdefault((offer_id, candidate_id), source or "shortlist")
    count = {s: sum(1 for r in rows if r.status == s.value) for s in Status}
    answered = count[Status.ACCEPTED] + count[Status.DECLINED]
    settled = answered + count[Status.EXPIRED]
    hours = [(r.answered_at - r.sent_at).total_seconds() / 3600 for r in rows if r.answered_at is not None]
    reasons: dict[str, int] = {}
    for r in rows:
        if r.status == Status.DECLINED.value:
            reasons[r.reason or "none"] = reasons.get(r.reason or "none", 0) + 1
    sources: dict[str, int] = {"shortlist": 0, "search": 0, "interest": 0}
    for source in firsts.values():
        sources[source] = sources.get(source, 0) + 1
    return Measures(
        sent=len(rows),
        answered=answered,
        accepted=count[Status.ACCEPTED],
        declined=count[Status.DECLINED],
        expired=count[Status.EXPIRED],
        open=count[Status.OPEN],
        answer_rate=round(answered / settled, 4) if settled else None,
        acceptance_rate=round(count[Status.ACCEPTED] / answered, 4) if answered else None,
        median_hours_to_answer=round(median(hours), 2) if hours else None,
        declined_by_reason=reasons,
        sources=sources,
    )


def for_offer(rt: Runtime, *, principal: Principal, offer_id: str) -> Measures:
    with rt.store.read() as session:
        tenancy.offer_row(session, principal, offer_id)
        return of_offer(session, offer_id)


def of_offer(session: Session, offer_id: str) -> Measures:
    """:func:`for_offer` inside the caller's session, for an offer whose access the caller has checked."""
    return _measure(session, approaches=ApproachRow.offer_id == offer_id, events=PipelineEventRow.offer_id == offer_id)


def for_employer(rt: Runtime, *, principal: Principal, employer_id: str) -> Measures:
    with rt.store.read() as session:
        if session.get(EmployerRow, employer_id) is None or not principal.may_act_for(employer_id):
            raise NotFound("employeur", employer_id)
        return _measure(
            session,
            approaches=ApproachRow.employer_id == employer_id,
            events=PipelineEventRow.employer_id == employer_id,
        )
