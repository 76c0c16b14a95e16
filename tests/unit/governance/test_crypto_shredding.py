"""Erasure and the audit log: the chain stays verifiable, the person becomes unlinkable (crypto-shredding)."""

from __future__ import annotations

from sqlalchemy import select

from matcher.access.accounts import Principal, Role
from matcher.catalog.candidates import create_candidate
from matcher.core.models import Decision, FeedbackIn
from matcher.governance import audit, privacy, pseudonyms
from matcher.runtime import Runtime
from matcher.shortlists import kept
from matcher.shortlists.decisions import record_feedback
from matcher.store.tables import AccountRow, AuditRow, PseudonymRow, ShortlistRow
from tests.factories import candidate_in, shortlisted


def _log_text(rt: Runtime) -> str:
    with rt.store.read() as session:
        return " ".join(f"{r.actor} {r.subject} {r.payload}" for r in session.scalars(select(AuditRow)))


def test_erasure_leaves_the_audit_chain_verifiable_and_the_person_unlinkable(rt: Runtime) -> None:
    employer_id, offer_id = shortlisted(rt)
    recruiter = Principal(role=Role.RECRUITER, subject="acc_rh", employer_ids=frozenset({employer_id}))
    built = kept.build(rt, principal=recruiter, offer_id=offer_id, size=10)
    with rt.store.read() as session:
        entries = session.get(ShortlistRow, built.id).entries  # type: ignore[union-attr]
    erased, living = entries[0]["candidate_id"], entries[1]["candidate_id"]
    kept.read(rt, principal=recruiter, offer_id=offer_id, shortlist_id=built.id, limit=10, offset=0)
    with rt.store.transaction() as session:
        for cid in (erased, living):
            record_feedback(
                session,
                offer_id=offer_id,
                data=FeedbackIn(candidate_id=cid, decision=Decision.INTERVIEW, recruiter_id="acc_rh"),
            )
    text = _log_text(rt)
    # Built, viewed, decided: the log names people only by pseudonym, each computable from the person's key.
    assert erased not in text and living not in text
    with rt.store.read() as session:
        name = pseudonyms.current(session, erased)
        assert name is not None and text.count(name) == 3
        assert pseudonyms.resolve(session, [name]) == {name: erased}

    privacy.erase_candidate(rt, candidate_id=erased, actor="acc_dpo")

    with rt.store.read() as session:
        assert audit.verify(session).ok  # no row was rewritten
        assert session.get(PseudonymRow, erased) is None  # the key is gone
        assert pseudonyms.current(session, erased) is None
        assert pseudonyms.resolve(session, [name]) == {}  # the pseudonym links to no one
        assert pseudonyms.current(session, living) is not None
    assert erased not in _log_text(rt)
    # The living are still found by computing their pseudonym, and the shortlist still replays.
    replay = audit.reproduce_shortlist(rt, built.id)
    assert replay.reproducible and replay.ranks_match and replay.scores_match


def test_a_person_erasing_themselves_is_not_named_as_the_actor(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        cid = create_candidate(session, data=candidate_in(), taxonomy=rt.taxonomy, geography=rt.geography).id
        session.add(AccountRow(id="acc_self", email="moi@example.fr", name="Moi", role="seeker", password_hash="x"))
        session.flush()
        session.get(AccountRow, "acc_self").candidate_id = cid  # type: ignore[union-attr]
    privacy.erase_candidate(rt, candidate_id=cid, actor="acc_self")
    with rt.store.read() as session:
        row = session.scalar(select(AuditRow).where(AuditRow.action == audit.CANDIDATE_ERASED))
        assert row is not None and row.actor == privacy.SELF
    assert "acc_self" not in _log_text(rt) and cid not in _log_text(rt)
