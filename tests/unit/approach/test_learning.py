"""Answers become graded training labels; on a simulation with a hidden rule, learning from them raises
the acceptance rate of the ranker's top 10 on held-out offers, against the cold-start ranker, in one run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from matcher.evaluation.answers import simulate
from matcher.runtime import Runtime
from matcher.shortlists.decisions import feedback_labels
from matcher.store.tables import ApproachRow, FeedbackRow, PipelineEventRow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _approach(offer: str, candidate: str, status: str, reason: str | None, minutes: int) -> ApproachRow:
    return ApproachRow(
        id=f"apr_{offer}_{candidate}",
        offer_id=offer,
        employer_id="emp",
        candidate_id=candidate,
        recruiter_id="acc",
        source="shortlist",
        message="m",
        status=status,
        reason=reason,
        sent_at=T0,
        expires_at=T0 + timedelta(days=14),
        answered_at=T0 + timedelta(minutes=minutes) if status in ("accepted", "declined") else None,
    )


def test_answers_are_graded_labels_the_latest_signal_wins(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        session.add_all(
            [
                _approach("o1", "accepts", "accepted", None, 1),
                _approach("o1", "far", "declined", "location", 2),
                _approach("o1", "pay", "declined", "pay", 3),
                _approach("o1", "later", "declined", "not_now", 4),
                _approach("o1", "no", "declined", "not_interested", 5),
                _approach("o1", "silent", "expired", None, 0),
                _approach("o1", "hired", "accepted", None, 6),
                PipelineEventRow(offer_id="o2", employer_id="emp", candidate_id="keen", stage="interested", at=T0),
                # A recruiter's decision after the acceptance: hired is above mutual interest.
                FeedbackRow(
                    offer_id="o1", candidate_id="hired", decision="hired", created_at=T0 + timedelta(minutes=30)
                ),
                # A decision before the candidate's answer is overtaken by the answer.
                FeedbackRow(offer_id="o1", candidate_id="far", decision="interview", created_at=T0),
            ]
        )
    with rt.store.read() as session:
        labels = feedback_labels(session)
    assert labels["o1"] == {"accepts": 2, "far": 0, "pay": 1, "later": 1, "no": 0, "hired": 3}
    assert "silent" not in labels["o1"]  # silence is not a rejection
    assert labels["o2"] == {"keen": 2}


def test_learning_from_answers_raises_acceptance_at_10_on_held_out_offers(rt: Runtime) -> None:
    result = simulate(rt, offers=40, candidates=800, steps=(60, 150), seed=11)
    assert [p.answers for p in result.points] == [60, 150]
    with rt.store.read() as session:  # the answers went through the approach loop itself
        statuses = [s for (s,) in session.query(ApproachRow.status)]
    assert len(statuses) == 150 and set(statuses) == {"accepted", "declined"}
    assert statuses.count("accepted") == result.points[-1].accepted
    assert result.final > result.cold_start + 0.03, result.table()
