"""Recruiters' decisions on shortlisted candidates, and the labels the ranker learns from them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.access import tenancy
from matcher.access.accounts import Principal
from matcher.core.errors import InvalidInput, NotFound
from matcher.core.models import Decision, Feedback, FeedbackIn
from matcher.core.records import offer_from_row
from matcher.governance import audit, pseudonyms
from matcher.ranking.features import FEATURES, facts_of
from matcher.ranking.pipeline import candidate_pairs
from matcher.store.tables import ApproachRow, CandidateRow, FeedbackRow, OfferRow, PipelineEventRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

# Graded relevance of a decision for training: an interview says more than a first contact.
DECISION_GRADE = {
    Decision.HIRED: 3,
    Decision.INTERVIEW: 2,
    Decision.INTERESTED: 1,
    Decision.CONTACTED: 1,
    Decision.REJECTED: 0,
}
# Candidates' answers to approaches, graded on the same scale. Mutual interest (an acceptance, or a
# candidate saying they are interested) is above a first contact. A decline's reason says what it is
# about: one the features see (not interested in this job, the distance, the contract) makes the pair
# a bad match (0); one they cannot see (the pay, the timing) leaves a right match a first contact (1).
# An approach left to expire is silence, not a label.
ANSWER_GRADE = {"accepted": 2, "interested": 2}
DECLINE_GRADE = {"not_interested": 0, "location": 0, "contract": 0, "other": 0, None: 0, "pay": 1, "not_now": 1}


def record_feedback(session: Session, *, offer_id: str, data: FeedbackIn) -> Feedback:
    """Append a decision; the offer must exist, and so must the candidate. A rejection states its reason."""
    if data.decision == Decision.REJECTED and not data.reason:
        raise InvalidInput("reason", "un refus doit être motivé")
    if session.get(OfferRow, offer_id) is None:
        raise NotFound("offre", offer_id)
    candidate = session.get(CandidateRow, data.candidate_id)
    if candidate is None:
        raise InvalidInput("candidate_id", f"candidat inconnu : {data.candidate_id}")
    row = FeedbackRow(offer_id=offer_id, **data.model_dump(mode="json"))
    session.add(row)
    candidate.last_contact_at = datetime.now(UTC)  # a recruiter's decision is a contact (retention clock)
    session.flush()
    # The human decision joins the ranking event in the audit chain (AI Act art. 12, 14; GDPR art. 22).
    audit.record(
        session,
        actor=data.recruiter_id,
        action=audit.DECISION,
        subject=pseudonyms.pseudonym(session, data.candidate_id),  # erasure shreds its key
        # The reason's free text stays in the feedback row, which erasure reaches; the log never forgets.
        payload={
            "offer_id": offer_id,
            "decision": row.decision,
            "reason_given": row.reason is not None,
            "feedback_id": row.id,
        },
    )
    return _feedback(row)


def record_decision(rt: Runtime, *, principal: Principal, offer_id: str, data: FeedbackIn) -> Feedback:
    """A recruiter's decision on a candidate they may see, for an offer they act for, recorded in their name.

    The one way a decision is recorded, from the API and the pages alike.
    """
    with rt.store.transaction() as session:
        tenancy.offer_row(session, principal, offer_id)
        tenancy.visible_candidate_row(session, principal, data.candidate_id)
        return record_feedback(
            session, offer_id=offer_id, data=data.model_copy(update={"recruiter_id": principal.subject})
        )


def decisions_on(rt: Runtime, *, principal: Principal, offer_id: str) -> list[Feedback]:
    """Every decision recorded on an offer the principal acts for, oldest first."""
    with rt.store.read() as session:
        tenancy.offer_row(session, principal, offer_id)
        return list_feedback(session, offer_id=offer_id)


def list_feedback(session: Session, *, offer_id: str) -> list[Feedback]:
    if session.get(OfferRow, offer_id) is None:
        raise NotFound("offre", offer_id)
    rows = session.scalars(select(FeedbackRow).where(FeedbackRow.offer_id == offer_id).order_by(FeedbackRow.id))
    return [_feedback(r) for r in rows]


def feedback_labels(session: Session) -> dict[str, dict[str, int]]:
    """offer id → candidate id → grade of the latest signal on that pair: a recruiter's decision, or the
    candidate's answer to an approach or interest (:data:`ANSWER_GRADE`, :data:`DECLINE_GRADE`)."""
    signals: list[tuple[datetime, int, str, str, int]] = []  # (when, order, offer, candidate, grade)
    for row in session.scalars(select(FeedbackRow).order_by(FeedbackRow.id)):
        signals.append((row.created_at, row.id, row.offer_id, row.candidate_id, DECISION_GRADE[Decision(row.decision)]))
    answers = session.execute(
        select(
            ApproachRow.answered_at,
            ApproachRow.offer_id,
            ApproachRow.candidate_id,
            ApproachRow.status,
            ApproachRow.reason,
        )
        .where(ApproachRow.answered_at.is_not(None))
        .order_by(ApproachRow.answered_at)
    )
    for at, offer_id, candidate_id, status, reason in answers:
        grade = ANSWER_GRADE.get(status) if status != "declined" else DECLINE_GRADE.get(reason, 0)
        if grade is not None and at is not None:
            signals.append((at, 0, offer_id, candidate_id, grade))
    interests = session.execute(
        select(PipelineEventRow.at, PipelineEventRow.offer_id, PipelineEventRow.candidate_id).where(
            PipelineEventRow.stage == "interested"
        )
    )
    for at, offer_id, candidate_id in interests:
        signals.append((at, 0, offer_id, candidate_id, ANSWER_GRADE["interested"]))
    labels: dict[str, dict[str, int]] = {}
    for _, _, offer_id, candidate_id, grade in sorted(signals, key=lambda s: (s[0], s[1])):
        labels.setdefault(offer_id, {})[candidate_id] = grade  # the latest signal on a pair wins
    return labels


def _feedback(row: FeedbackRow) -> Feedback:
    return Feedback.model_validate(
        {
            "id": row.id,
            "offer_id": row.offer_id,
            "candidate_id": row.candidate_id,
            "decision": row.decision,
            "reason": row.reason,
            "recruiter_id": row.recruiter_id,
            "created_at": row.created_at,
        }
    )


def feedback_training_set(rt: Runtime, *, today: date | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Features and grades of every (offer, candidate) pair a recruiter decided on (see below)."""
    X, y, _ = grouped_feedback_training_set(rt, today=today)
    return X, y


def grouped_feedback_training_set(
    rt: Runtime, *, today: date | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features and grades of every (offer, candidate) pair a recruiter decided on, and each pair's offer.

    Features are computed as a shortlist would compute them now (same retrieval context, so BM25 is
    scaled the same way). Candidates nobody decided on are left out: silence is not a rejection.
    """
    with rt.store.read() as session:
        labels = feedback_labels(session)
        offers = {
            o.id: o
            for o in (offer_from_row(r) for r in session.scalars(select(OfferRow).where(OfferRow.id.in_(list(labels)))))
        }
    rows, grades, groups = [], [], []
    day = today or datetime.now(UTC).date()
    for offer_id, decided in sorted(labels.items()):
        if offer_id not in offers:
            continue  # the offer was deleted since
        pairs, _ = candidate_pairs(rt, offer=offers[offer_id], also=list(decided))
        for (_, candidate, _, _), facts in zip(pairs, facts_of(pairs, taxonomy=rt.taxonomy, today=day), strict=True):
            if candidate.id in decided:
                rows.append([facts.values[name] for name in FEATURES])
                grades.append(decided[candidate.id])
                groups.append(offer_id)
    return (
        np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES)),
        np.asarray(grades, dtype=np.float64),
        np.asarray(groups, dtype=object),
    )
