"""An offer's pipeline: every candidate's stage, where they came from, and the history of their stages.

Stages: ``shortlisted`` (on the latest kept shortlist, nothing happened yet), ``approached``,
``accepted``, ``declined``, ``expired`` (the candidate's answer or silence), ``interested`` (the
candidate said so from their matches), and the recruiter's decisions ``interview``, ``hired``,
``not_retained``. A recruiter's stage change is a decision (:func:`record_feedback`: audited, a
rejection states its reason) and a history event. A closed offer's pipeline is closed: read only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.access import tenancy
from matcher.access.accounts import Principal
from matcher.approach.approaches import Source, explain_pair
from matcher.core.errors import Conflict, NotFound
from matcher.core.models import Decision, FeedbackIn, OfferStatus, Strict
from matcher.governance import audit, pseudonyms
from matcher.ranking.pipeline import Explanation
from matcher.shortlists.decisions import record_feedback
from matcher.store.tables import AccountRow, ApproachRow, CandidateRow, OfferRow, PipelineEventRow, ShortlistRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

INTEREST = "interest"


class Stage(StrEnum):
    SHORTLISTED = "shortlisted"
    APPROACHED = "approached"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    INTERESTED = "interested"
    INTERVIEW = "interview"
    HIRED = "hired"
    NOT_RETAINED = "not_retained"


STAGE_LABELS = {
    Stage.SHORTLISTED: "Présélectionné·e",
    Stage.APPROACHED: "Approché·e",
    Stage.ACCEPTED: "A accepté",
    Stage.DECLINED: "A décliné",
    Stage.EXPIRED: "Sans réponse (expirée)",
    Stage.INTERESTED: "Intéressé·e",
    Stage.INTERVIEW: "Entretien",
    Stage.HIRED: "Recruté·e",
    Stage.NOT_RETAINED: "Non retenu·e",
}
# The stages a recruiter decides, and the decision each one records.
DECIDED = {Stage.INTERVIEW: Decision.INTERVIEW, Stage.HIRED: Decision.HIRED, Stage.NOT_RETAINED: Decision.REJECTED}


class StageIn(Strict):
    stage: Literal["interview", "hired", "not_retained"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)] | None = None


class Step(BaseModel):
    stage: Stage
    at: datetime
    actor: str | None  # an account id; None: the system
    reason: str | None


class Entry(BaseModel):
    candidate_id: str
    display_name: str
    title: str
    stage: Stage
    source: Source
    since: datetime
    approach_id: str | None
    explanation: Explanation | None
    history: list[Step]


class Pipeline(BaseModel):
    offer_id: str
    offer_title: str
    closed: bool
    counts: dict[str, int]
    entries: list[Entry]


def _pipeline_rows(session: Session, offer_id: str) -> list[PipelineEventRow]:
    return list(
        session.scalars(
            select(PipelineEventRow).where(PipelineEventRow.offer_id == offer_id).order_by(PipelineEventRow.id)
        )
    )


def read(
    rt: Runtime,
    *,
    principal: Principal,
    offer_id: str,
    stages: list[Stage] | None = None,
    source: Source | None = None,
) -> Pipeline:
    """The pipeline of an offer the principal acts for, filtered by stages and source; latest move first."""
    with rt.store.read() as session:
        return board(session, tenancy.offer_row(session, principal, offer_id), stages=stages, source=source)


def board(
    session: Session, offer: OfferRow, *, stages: list[Stage] | None = None, source: Source | None = None
) -> Pipeline:
    """:func:`read` inside the caller's session, for an offer whose access the caller has checked."""
    offer_id = offer.id
    events = _pipeline_rows(session, offer_id)
    latest = session.scalar(
        select(ShortlistRow).where(ShortlistRow.offer_id == offer_id).order_by(ShortlistRow.built_at.desc()).limit(1)
    )
    history: dict[str, list[PipelineEventRow]] = {}
    for event in events:
        history.setdefault(event.candidate_id, []).append(event)
    entries_of = {e["candidate_id"]: e for e in latest.entries} if latest else {}
    ids = set(history) | set(entries_of)
    profiles = {r.id: r for r in session.scalars(select(CandidateRow).where(CandidateRow.id.in_(list(ids))))}
    approaches = {
        r.candidate_id: r
        for r in session.scalars(
            select(ApproachRow).where(ApproachRow.offer_id == offer_id).order_by(ApproachRow.sent_at)
        )
    }
    entries: list[Entry] = []
    for candidate_id in ids:
        profile = profiles.get(candidate_id)
        steps = history.get(candidate_id, [])
        if profile is None or (not steps and not tenancy.open_to_employers(profile, [offer.employer_id])):
            continue  # erased, or only shortlisted and withdrawn since: out of sight
        shortlisted = entries_of.get(candidate_id)
        first_source = next((s.source for s in steps if s.source), None) or Source.SHORTLIST.value
        explanation = next((s.explanation for s in reversed(steps) if s.explanation), None)
        approach = approaches.get(candidate_id)
        if explanation is None and approach is not None:
            explanation = approach.explanation
        if explanation is None and shortlisted is not None:
            explanation = shortlisted.get("explanation")
        trail = (
            [Step(stage=Stage.SHORTLISTED, at=latest.built_at, actor=latest.built_by, reason=None)]
            if (shortlisted and latest)
            else []
        )
        trail += [Step(stage=Stage(s.stage), at=s.at, actor=s.actor, reason=s.reason) for s in steps]
        trail.sort(key=lambda s: s.at)
        entries.append(
            Entry(
                candidate_id=candidate_id,
                display_name=profile.display_name,
                title=profile.title,
                stage=trail[-1].stage,
                source=Source(first_source),
                since=trail[-1].at,
                approach_id=approach.id if approach else None,
                explanation=Explanation.model_validate(explanation) if explanation else None,
                history=trail,
            )
        )
    counts = {s.value: sum(1 for e in entries if e.stage == s) for s in Stage}
    shown = [e for e in entries if (not stages or e.stage in stages) and (source is None or e.source == source)]
    shown.sort(key=lambda e: e.since, reverse=True)
    return Pipeline(
        offer_id=offer_id,
        offer_title=offer.title,
        closed=offer.status != OfferStatus.PUBLISHED.value,
        counts=counts,
        entries=shown,
    )


def move(rt: Runtime, *, principal: Principal, offer_id: str, candidate_id: str, data: StageIn) -> Step:
    """A recruiter's stage change: a decision (audited, "not retained" needs its reason) and a history step.

    Raises:
        NotFound: an offer the principal does not act for, or a candidate not in its pipeline.
        Conflict: the offer is closed (so is its pipeline).
        InvalidInput: "not retained" without a reason.
    """
    stage = Stage(data.stage)
    now = datetime.now(UTC)
    with rt.store.transaction() as session:
        offer = tenancy.offer_row(session, principal, offer_id)
        if offer.status == OfferStatus.CLOSED.value:
            raise Conflict("l'offre est close : son vivier l'est aussi")
        if not _in_pipeline(session, offer_id, candidate_id):
            raise NotFound("candidat du vivier", candidate_id)
        feedback = record_feedback(
            session,
            offer_id=offer_id,
            data=FeedbackIn(
                candidate_id=candidate_id, decision=DECIDED[stage], reason=data.reason, recruiter_id=principal.subject
            ),
        )
        session.add(
            PipelineEventRow(
                offer_id=offer_id,
                employer_id=offer.employer_id,
                candidate_id=candidate_id,
                stage=stage.value,
                actor=principal.subject,
                reason=data.reason,
                feedback_id=feedback.id,
                at=now,
            )
        )
    return Step(stage=stage, at=now, actor=principal.subject, reason=data.reason)


def _in_pipeline(session: Session, offer_id: str, candidate_id: str) -> bool:
    if session.scalar(
        select(PipelineEventRow.id)
        .where(PipelineEventRow.offer_id == offer_id, PipelineEventRow.candidate_id == candidate_id)
        .limit(1)
    ):
        return True
    latest = session.scalar(
        select(ShortlistRow).where(ShortlistRow.offer_id == offer_id).order_by(ShortlistRow.built_at.desc()).limit(1)
    )
    profile = session.get(CandidateRow, candidate_id)
    return (
        latest is not None
        and profile is not None
        and tenancy.open_to_employers(profile, _employer_of(session, offer_id))
        and any(e["candidate_id"] == candidate_id for e in latest.entries)
    )


# --- the seeker's side: "Je suis intéressé·e" -------------------------------------------------


class Interest(BaseModel):
    offer_id: str
    offer_title: str
    at: datetime
    stage: Stage  # where they stand now in that offer's pipeline


def mark_interest(rt: Runtime, *, principal: Principal, offer_id: str) -> Interest:
    """Put the signed-in seeker in a published offer's pipeline as interested, explained like a shortlist place.

    Raises:
        NotFound: no profile, or an offer that is not published.
        Conflict: a profile not open to employers (the recruiter could not see it), or already in the pipeline.
    """
    candidate_id = tenancy.own_candidate_id(principal)
    with rt.store.read() as session:
        offer = tenancy.offer_row(session, principal, offer_id)
        if offer.status != OfferStatus.PUBLISHED.value:
            raise NotFound("offre", offer_id)
        _check_interest(session, offer_id, candidate_id)
    explanation = explain_pair(rt, offer_id=offer_id, candidate_id=candidate_id)
    now = datetime.now(UTC)
    with rt.store.transaction() as session:
        offer = tenancy.offer_row(session, principal, offer_id)
        _check_interest(session, offer_id, candidate_id)  # again, in the writing transaction
        session.add(
            PipelineEventRow(
                offer_id=offer_id,
                employer_id=offer.employer_id,
                candidate_id=candidate_id,
                stage=Stage.INTERESTED.value,
                source=INTEREST,
                actor=principal.subject,
                explanation=explanation.model_dump(mode="json") if explanation else None,
                at=now,
            )
        )
        audit.record(
            session,
            actor=principal.subject,
            action="approach.interest",
            subject=pseudonyms.pseudonym(session, candidate_id),
            payload={"offer_id": offer_id},
        )
        return Interest(offer_id=offer_id, offer_title=offer.title, at=now, stage=Stage.INTERESTED)


def _employer_of(session: Session, offer_id: str) -> list[str]:
    """The employer of an offer, as the one whose recruiters a profile must be open to."""
    return list(session.scalars(select(OfferRow.employer_id).where(OfferRow.id == offer_id)))


def _check_interest(session: Session, offer_id: str, candidate_id: str) -> None:
    profile = session.get(CandidateRow, candidate_id)
    if profile is None or not tenancy.open_to_employers(profile, _employer_of(session, offer_id)):
        raise Conflict("rendez d'abord votre profil visible des employeurs : ils ne pourraient pas le voir")
    if session.scalar(
        select(PipelineEventRow.id)
        .where(PipelineEventRow.offer_id == offer_id, PipelineEventRow.candidate_id == candidate_id)
        .limit(1)
    ):
        raise Conflict("vous êtes déjà dans le suivi de cette offre")


def interests(rt: Runtime, *, principal: Principal) -> list[Interest]:
    """The offers the seeker said they were interested in, with their current stage."""
    candidate_id = tenancy.own_candidate_id(principal)
    with rt.store.read() as session:
        return interests_of(session, candidate_id)


def interests_of(session: Session, candidate_id: str) -> list[Interest]:
    """:func:`interests` inside the caller's session."""
    events = list(
        session.scalars(
            select(PipelineEventRow).where(PipelineEventRow.candidate_id == candidate_id).order_by(PipelineEventRow.id)
        )
    )
    marked = {e.offer_id: e.at for e in events if e.stage == Stage.INTERESTED.value}
    query = select(OfferRow.id, OfferRow.title).where(OfferRow.id.in_(list(marked)))
    titles = {offer_id: title for offer_id, title in session.execute(query)}
    last = {e.offer_id: Stage(e.stage) for e in events}
    return [
        Interest(offer_id=o, offer_title=titles.get(o, "offre supprimée"), at=at, stage=last[o])
        for o, at in sorted(marked.items(), key=lambda kv: kv[1], reverse=True)
    ]


def actor_names(session: Session, actor_ids: set[str]) -> dict[str, str]:
    """Names of the accounts behind history steps (for the pages)."""
    query = select(AccountRow.id, AccountRow.name).where(AccountRow.id.in_(list(actor_ids)))
    return {account_id: name for account_id, name in session.execute(query)}
