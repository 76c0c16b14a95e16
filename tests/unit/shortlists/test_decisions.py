"""Recruiters' decisions: recorded as given, and the ranker learns what they value."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.catalog.offers import list_offers
from matcher.core.errors import InvalidInput, NotFound
from matcher.core.models import Decision, FeedbackIn
from matcher.demo.samples import seed_demo
from matcher.jobs.runner import process_outbox
from matcher.ranking.features import FEATURES
from matcher.ranking.pipeline import build_shortlist
from matcher.ranking.ranker import AdditiveRanker
from matcher.runtime import Runtime
from matcher.shortlists.decisions import feedback_labels, feedback_training_set, list_feedback, record_feedback


def test_decisions_are_validated_and_the_latest_one_counts(rt: Runtime) -> None:
    seed_demo(rt, candidates=50)
    with rt.store.transaction() as session:
        record_feedback(
            session,
            offer_id="ft-191YQPH",
            data=FeedbackIn(candidate_id="cand_demo_000001", decision=Decision.CONTACTED),
        )
        record_feedback(
            session,
            offer_id="ft-191YQPH",
            data=FeedbackIn(candidate_id="cand_demo_000001", decision=Decision.INTERVIEW),
        )
    with rt.store.read() as session:
        assert feedback_labels(session) == {"ft-191YQPH": {"cand_demo_000001": 2}}
        assert [f.decision for f in list_feedback(session, offer_id="ft-191YQPH")] == ["contacted", "interview"]
    with pytest.raises(InvalidInput) as error, rt.store.transaction() as session:
        record_feedback(
            session, offer_id="ft-191YQPH", data=FeedbackIn(candidate_id="cand_demo_000001", decision=Decision.REJECTED)
        )
    assert error.value.field == "reason"
    with pytest.raises(NotFound), rt.store.transaction() as session:
        record_feedback(
            session, offer_id="nope", data=FeedbackIn(candidate_id="cand_demo_000001", decision=Decision.HIRED)
        )


def recruiter_decides(rt: Runtime, offers: list[str], prefers: str) -> None:
    """A recruiter who interviews the candidates highest on one feature and rejects the lowest."""
    for offer_id in offers:
        entries = build_shortlist(rt, offer_id=offer_id, size=40).entries
        values = {
            e.candidate_id: next(c.value for c in e.explanation.contributions if c.feature == prefers) for e in entries
        }
        ordered = sorted(values, key=lambda cid: (-values[cid], cid))
        with rt.store.transaction() as session:
            for cid in ordered[:3]:
                record_feedback(session, offer_id=offer_id, data=FeedbackIn(candidate_id=cid, decision="interview"))
            for cid in ordered[-3:]:
                record_feedback(
                    session,
                    offer_id=offer_id,
                    data=FeedbackIn(candidate_id=cid, decision="rejected", reason="ne correspond pas au besoin"),
                )


def test_the_ranker_learns_what_recruiters_value(rt: Runtime) -> None:
    seed_demo(rt, candidates=300)
    process_outbox(rt)
    with rt.store.read() as session:
        offers = [o.id for o in list_offers(session, limit=80)[0]]
    busy = [o for o in offers if len(build_shortlist(rt, offer_id=o, size=10).entries) >= 10][:15]
    assert len(busy) >= 10
    recruiter_decides(rt, busy, prefers="proximity")
    X, y = feedback_training_set(rt)
    assert len(y) == 6 * len(busy) and set(np.unique(y)) == {0.0, 2.0}
    weight = AdditiveRanker().fit(X, y).coef_.sum(axis=1)
    proximity = FEATURES.index("proximity")
    assert weight[proximity] == weight.max() > 0  # it learned the recruiter's criterion
