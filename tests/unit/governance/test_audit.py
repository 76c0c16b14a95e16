"""The audit chain: every event hashed onto the previous one; an edited row is found; shortlists replay."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from matcher.catalog.candidates import update_candidate
from matcher.core.models import Decision, FeedbackIn
from matcher.governance import audit, pseudonyms
from matcher.ranking.pipeline import build_shortlist
from matcher.runtime import Runtime
from matcher.shortlists.decisions import record_feedback
from matcher.store.tables import AuditRow, CandidateRow
from tests.factories import candidate_in, shortlisted


def append(rt: Runtime, count: int) -> None:
    with rt.store.transaction() as session:
        for number in range(count):
            audit.record(
                session,
                actor="rec_1",
                action=audit.SHORTLIST_VIEWED,
                subject=f"sl_{number}",
                payload={"offset": number, "shown": ["cand_a", "cand_b"], "at": datetime(2026, 1, 1, tzinfo=UTC)},
            )


def test_the_chain_verifies_and_an_edited_payload_breaks_it_at_that_row(rt: Runtime) -> None:
    append(rt, 6)
    with rt.store.read() as session:
        report = audit.verify(session)
        rows = session.scalars(select(AuditRow).order_by(AuditRow.seq)).all()
    assert report.ok and report.checked == 6 and report.head == rows[-1].hash
    assert rows[0].prev_hash == audit.GENESIS and all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    target = rows[3].seq
    with rt.store.transaction() as session:
        session.execute(
            text("UPDATE audit_log SET payload = :p WHERE seq = :s"), {"p": '{"offset": 99, "shown": []}', "s": target}
        )
    with rt.store.read() as session:
        broken = audit.verify(session)
    assert (broken.ok, broken.first_broken_seq, broken.checked) == (False, target, 3)


def test_a_deleted_middle_row_or_an_edited_actor_is_found(rt: Runtime) -> None:
    append(rt, 5)
    with rt.store.read() as session:
        seqs = list(session.scalars(select(AuditRow.seq).order_by(AuditRow.seq)))
    with rt.store.transaction() as session:
        session.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": seqs[2]})
    with rt.store.read() as session:
        assert audit.verify(session).first_broken_seq == seqs[3]
    with rt.store.transaction() as session:
        session.execute(text("UPDATE audit_log SET actor = 'someone' WHERE seq = :s"), {"s": seqs[0]})
    with rt.store.read() as session:
        assert audit.verify(session).first_broken_seq == seqs[0]


def test_only_a_prefix_older_than_six_months_may_go_and_the_chain_stays_verifiable(rt: Runtime) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        append(rt, 3)
    with time_machine.travel(start + timedelta(days=100), tick=False):
        append(rt, 2)
    now = start + timedelta(days=200)
    with rt.store.transaction() as session:
        with pytest.raises(ValueError, match="183"):
            audit.purge_before(session, now=now, keep_days=90)
        assert audit.purge_before(session, now=now) == 3  # the 100-day-old rows are younger than 183 days
    with rt.store.read() as session:
        report = audit.verify(session)
    assert report.ok and report.checked == 2
    with time_machine.travel(now, tick=False):
        append(rt, 1)
    with rt.store.read() as session:
        assert audit.verify(session).checked == 3
    # Dropping the oldest remaining row without re-anchoring is detected.
    with rt.store.transaction() as session:
        first = session.scalar(select(AuditRow.seq).order_by(AuditRow.seq).limit(1))
        session.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": first})
    with rt.store.read() as session:
        assert not audit.verify(session).ok


def test_a_recorded_shortlist_is_reproduced_from_its_recorded_inputs(rt: Runtime) -> None:
    _, offer_id = shortlisted(rt)
    shortlist = build_shortlist(rt, offer_id=offer_id, size=10)
    assert len(shortlist.entries) >= 5 and all(e.candidate_version == 1 for e in shortlist.entries)
    with rt.store.transaction() as session:
        row = audit.record_shortlist_built(
            session, actor="rec_1", shortlist_id="sl_test", shortlist=shortlist, parameters={"size": 10}
        )
        assert row.payload["model_version"] == rt.scorer.version and len(row.payload["entries"]) == len(
            shortlist.entries
        )
    replay = audit.reproduce_shortlist(rt, "sl_test")
    assert replay.reproducible and replay.ranks_match and replay.scores_match and replay.max_score_delta <= 1e-9
    # Profiles edited since do not matter: the recorded inputs are replayed, not today's data.
    with rt.store.transaction() as session:
        update_candidate(
            session,
            candidate_id=shortlist.entries[0].candidate_id,
            data=candidate_in(title="Comptable", desired_occupations=[], skills=[]),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
    assert audit.reproduce_shortlist(rt, "sl_test").scores_match
    # A recorded score that the model cannot reproduce is reported.
    with rt.store.transaction() as session:
        stored = session.scalar(select(AuditRow).where(AuditRow.subject == "sl_test"))
        assert stored is not None
        payload = dict(stored.payload)
        payload["entries"] = [dict(e) for e in payload["entries"]]
        payload["entries"][-1]["score"] += 1.0
        stored.payload = payload
    replay = audit.reproduce_shortlist(rt, "sl_test")
    assert not replay.scores_match and replay.mismatched == [shortlist.entries[-1].candidate_id]
    assert replay.ranks_match  # the order comes from the recorded inputs, which are intact
    # Recorded inputs that would have put the last candidate first: the order is not reproduced.
    with rt.store.transaction() as session:
        stored = session.scalar(select(AuditRow).where(AuditRow.subject == "sl_test"))
        assert stored is not None
        payload = dict(stored.payload)
        payload["entries"] = [dict(e) for e in payload["entries"]]
        payload["entries"][-1]["features"] = dict.fromkeys(payload["entries"][-1]["features"], 1.0)
        stored.payload = payload
    assert not audit.reproduce_shortlist(rt, "sl_test").ranks_match


def test_a_recruiter_decision_is_an_audit_row_and_a_contact(rt: Runtime) -> None:
    _, offer_id = shortlisted(rt, candidates=2)
    shortlist = build_shortlist(rt, offer_id=offer_id, size=5)
    cid = shortlist.entries[0].candidate_id
    later = datetime.now(UTC) + timedelta(days=3)
    with time_machine.travel(later, tick=False), rt.store.transaction() as session:
        record_feedback(
            session,
            offer_id=offer_id,
            data=FeedbackIn(candidate_id=cid, decision=Decision.REJECTED, reason="pas de permis", recruiter_id="rec_9"),
        )
    with rt.store.read() as session:
        row = session.scalar(select(AuditRow).where(AuditRow.action == audit.DECISION))
        # The log names the candidate by their keyed pseudonym, never by id.
        assert row is not None and (row.actor, row.subject) == ("rec_9", pseudonyms.current(session, cid))
        assert cid not in str(row.payload) and row.subject != cid
        assert row.payload["decision"] == "rejected" and row.payload["reason_given"] is True
        assert "pas de permis" not in str(row.payload)  # free text stays where erasure reaches it
        assert audit.verify(session).ok
        stored = session.get(CandidateRow, cid)
        assert stored is not None and stored.last_contact_at is not None
        assert stored.last_contact_at.replace(tzinfo=UTC) == later
