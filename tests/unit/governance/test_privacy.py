"""People's rights: export everything held, erase everywhere for good, withdraw consent."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from matcher.catalog.candidates import _candidate_columns, create_candidate, update_candidate
from matcher.catalog.offers import create_offer
from matcher.core import records
from matcher.core.erasure import ensure_not_erased
from matcher.core.errors import Erased
from matcher.core.indexes import CANDIDATES
from matcher.core.models import Decision, FeedbackIn
from matcher.embedding.cache import content_hash
from matcher.governance import audit
from matcher.governance.privacy import erase_candidate, export_person, withdraw_from_shortlists
from matcher.indexing.documents import candidate_text
from matcher.jobs.runner import process_outbox
from matcher.ranking.pipeline import build_shortlist
from matcher.runtime import Runtime
from matcher.shortlists.decisions import record_feedback
from matcher.store.tables import (
    AccountRow,
    AuditRow,
    CandidateRow,
    ChangeRow,
    DeliveryRow,
    EmbeddingRow,
    ErasureRow,
    FeedbackRow,
    MonitoringRow,
    NotificationRow,
    OutboxRow,
    SavedSearchRow,
    ShortlistRow,
    SyncItemRow,
)
from tests.factories import candidate_in, employer, offer_in

pytestmark = pytest.mark.both_stores  # also on PostgreSQL (tests/conftest.py)

T = datetime(2026, 1, 5, tzinfo=UTC)


def setup_person(rt: Runtime) -> tuple[str, str]:
    """A partner-sourced candidate with an account, alerts, a decision, a kept shortlist and monitoring data."""
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    eid = employer(rt)
    with rt.store.transaction() as session:
        offer = create_offer(session, data=offer_in(eid), **refs)
        cid = create_candidate(session, data=candidate_in(display_name="Camille Martin"), **refs).id
        create_candidate(session, data=candidate_in(display_name="Autre Profil"), **refs)
        row = session.get(CandidateRow, cid)
        assert row is not None
        row.source, row.external_ref = "part_1", "ext-42"
        session.add(
            SyncItemRow(
                partner_id="part_1",
                kind="candidate",
                external_id="ext-42",
                entity_id=cid,
                version=3,
                content_hash="h" * 64,
            )
        )
        session.add(
            ChangeRow(
                partner_id="part_1", kind="candidate", external_id="ext-42", entity_id=cid, action="created", version=3
            )
        )
        session.add(
            AccountRow(
                id="acc_1",
                email="camille@example.org",
                name="Camille Martin",
                role="seeker",
                password_hash="argon2-secret",
                candidate_id=cid,
            )
        )
        session.add(SavedSearchRow(id="ss_1", account_id="acc_1", kind="offers", name="Jardins", query="jardinier"))
        session.add(NotificationRow(account_id="acc_1", period="2026-W02", channel="email", body={"offers": ["o"]}))
        session.add(MonitoringRow(candidate_id=cid, sex="f", age_band="30-39"))
    process_outbox(rt)
    shortlist = build_shortlist(rt, offer_id=offer.id, size=10)
    assert cid in {e.candidate_id for e in shortlist.entries}
    with rt.store.transaction() as session:
        session.add(
            ShortlistRow(
                id="sl_1",
                offer_id=offer.id,
                employer_id=eid,
                offer_version=1,
                ranking="model",
                model_version="m",
                entries=[e.model_dump(mode="json") for e in shortlist.entries],
            )
        )
        audit.record_shortlist_built(session, actor="rec_1", shortlist_id="sl_1", shortlist=shortlist, parameters={})
        record_feedback(session, offer_id=offer.id, data=FeedbackIn(candidate_id=cid, decision=Decision.INTERVIEW))
    return cid, offer.id


def count(rt: Runtime, table: type, *conditions: object) -> int:
    with rt.store.read() as session:
        return session.scalar(select(func.count()).select_from(table).where(*conditions)) or 0  # type: ignore[arg-type]


def test_export_holds_everything_on_the_person_but_the_password_hash(rt: Runtime) -> None:
    cid, offer_id = setup_person(rt)
    with rt.store.read() as session:
        data = export_person(session, candidate_id=cid)
    json.dumps(data)  # machine-readable as it is
    assert data["profile"]["display_name"] == "Camille Martin"
    assert data["consent"]["visible_to_employers_since"] is not None
    assert [d["decision"] for d in data["decisions"]] == ["interview"]
    assert data["shortlists"][0]["offer_id"] == offer_id and data["shortlists"][0]["entry"]["explanation"]
    assert data["accounts"][0]["email"] == "camille@example.org" and "password_hash" not in data["accounts"][0]
    assert [s["name"] for s in data["saved_searches"]] == ["Jardins"] and len(data["notifications"]) == 1
    assert data["equality_monitoring"]["sex"] == "f" and data["partner_sync"][0]["external_id"] == "ext-42"
    assert "argon2-secret" not in json.dumps(data)


def test_erasure_reaches_store_index_caches_and_leaves_a_tombstone_without_personal_data(rt: Runtime) -> None:
    cid, _ = setup_person(rt)
    with rt.store.read() as session:
        row = session.get(CandidateRow, cid)
        assert row is not None
        text_hash = content_hash(candidate_text(records.get_candidate(session, candidate_id=cid), rt.taxonomy))
    assert count(rt, EmbeddingRow, EmbeddingRow.content_hash == text_hash) == 1
    assert cid in rt.backend.versions(CANDIDATES)

    report = erase_candidate(rt, candidate_id=cid, actor="dpo_1")

    assert report.erased and report.removed["feedback"] == 1 and report.removed["shortlists"] == 1
    assert cid not in rt.backend.versions(CANDIDATES)
    for table, condition in [
        (CandidateRow, CandidateRow.id == cid),
        (FeedbackRow, FeedbackRow.candidate_id == cid),
        (AccountRow, AccountRow.candidate_id == cid),
        (SavedSearchRow, SavedSearchRow.account_id == "acc_1"),
        (NotificationRow, NotificationRow.account_id == "acc_1"),
        (MonitoringRow, MonitoringRow.candidate_id == cid),
        (SyncItemRow, SyncItemRow.entity_id == cid),
        (ChangeRow, ChangeRow.entity_id == cid),
        (EmbeddingRow, EmbeddingRow.content_hash == text_hash),
    ]:
        assert count(rt, table, condition) == 0, table.__name__
    with rt.store.read() as session:
        kept = session.get(ShortlistRow, "sl_1")
        assert kept is not None and kept.entries and cid not in json.dumps(kept.entries)
        assert count(rt, ErasureRow) == 2  # by id and by the partner's reference
        # The partner learns of the deletion through its change feed, by its own reference only.
        assert [(c.action, c.entity_id) for c in session.scalars(select(ChangeRow))] == [("deleted", None)]
        erased = session.scalar(select(AuditRow).where(AuditRow.action == audit.CANDIDATE_ERASED))
        assert erased is not None and erased.actor == "dpo_1"
        logged = json.dumps([erased.subject, erased.payload])
        assert cid not in logged and "Camille" not in logged and "ext-42" not in logged
        assert audit.verify(session).ok
    assert not erase_candidate(rt, candidate_id=cid).erased  # idempotent


def test_an_erased_person_stays_erased_whatever_is_replayed(rt: Runtime) -> None:
    cid, _ = setup_person(rt)
    erase_candidate(rt, candidate_id=cid)
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    # A partner replaying its old update (the sync path checks its reference first)…
    with rt.store.read() as session, pytest.raises(Erased):
        ensure_not_erased(session, kind="candidate", source="part_1", external_ref="ext-42")
    # …a client re-creating the same id, or updating it…
    with pytest.raises(Erased), rt.store.transaction() as session:
        create_candidate(session, data=candidate_in(), candidate_id=cid, **refs)
    with pytest.raises(Erased), rt.store.transaction() as session:
        update_candidate(session, candidate_id=cid, data=candidate_in(), **refs)
    # …or a job replaying every old outbox row of that candidate: the index never gets them back.
    with rt.store.transaction() as session:
        session.execute(update(OutboxRow).where(OutboxRow.entity_id == cid).values(processed_at=None))
        session.add(OutboxRow(topic="candidate", entity_id=cid, version=1, action="upsert"))
    process_outbox(rt)
    assert cid not in rt.backend.versions(CANDIDATES)
    assert count(rt, CandidateRow, CandidateRow.id == cid) == 0
    # Even a row written behind the services' back (a restored backup, a raw import) is never indexed.
    with rt.store.transaction() as session:
        session.add(
            CandidateRow(id=cid, version=9, consented_at=T, **_candidate_columns(candidate_in(display_name="Camille")))
        )
        session.add(OutboxRow(topic="candidate", entity_id=cid, version=9, action="upsert"))
    process_outbox(rt)
    assert cid not in rt.backend.versions(CANDIDATES)
    # Over HTTP the refusal is a 410 Gone problem, in French: tests/api/test_api.py.


def test_withdrawing_consent_leaves_the_index_and_the_shortlists_not_acted_on(rt: Runtime) -> None:
    cid, offer_id = setup_person(rt)
    with rt.store.transaction() as session:
        other = ShortlistRow(
            id="sl_2",
            offer_id="off_other",
            employer_id="e",
            offer_version=1,
            ranking="model",
            model_version="m",
            entries=[{"candidate_id": cid, "rank": 1}, {"candidate_id": "cand_x", "rank": 2}],
        )
        session.add(other)
    with rt.store.transaction() as session:
        update_candidate(
            session,
            candidate_id=cid,
            data=candidate_in(visibility="private"),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
        assert session.get(CandidateRow, cid).consented_at is None  # type: ignore[union-attr]
    process_outbox(rt)
    assert cid not in rt.backend.versions(CANDIDATES)
    with rt.store.read() as session:
        decided = session.get(ShortlistRow, "sl_1")
        untouched = session.get(ShortlistRow, "sl_2")
        assert decided is not None and cid in json.dumps(decided.entries)  # a recruiter acted on it: kept
        assert untouched is not None and [e["candidate_id"] for e in untouched.entries] == ["cand_x"]
    assert cid not in {e.candidate_id for e in build_shortlist(rt, offer_id=offer_id, size=50).entries}
    with rt.store.transaction() as session:
        assert withdraw_from_shortlists(session, cid) == 0  # nothing left to withdraw


def test_talent_pool_consent_is_dated_kept_and_cleared(rt: Runtime) -> None:
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    with rt.store.transaction() as session:
        cid = create_candidate(session, data=candidate_in(talent_pool=True), **refs).id
        first = session.get(CandidateRow, cid).talent_pool_consented_at  # type: ignore[union-attr]
        assert first is not None
        update_candidate(session, candidate_id=cid, data=candidate_in(), **refs)
        assert session.get(CandidateRow, cid).talent_pool_consented_at == first  # type: ignore[union-attr]
        update_candidate(session, candidate_id=cid, data=candidate_in(talent_pool=False), **refs)
        assert session.get(CandidateRow, cid).talent_pool_consented_at is None  # type: ignore[union-attr]


def test_erasure_takes_the_person_out_of_webhook_messages_kept_or_owed(rt: Runtime) -> None:
    cid, _ = setup_person(rt)
    body = {"delivery_id": "dlv_1", "entries": [{"candidate_id": cid, "rank": 1}, {"candidate_id": "other", "rank": 2}]}
    with rt.store.transaction() as session:
        for status in ("pending", "delivered"):
            session.add(
                DeliveryRow(
                    id=f"dlv_{status}",
                    employer_id="e",
                    event="shortlist.built",
                    subject_id="sl",
                    url="https://rh.example.fr/hook",
                    body=json.dumps(body),
                    status=status,
                )
            )
    report = erase_candidate(rt, candidate_id=cid)
    assert report.removed["webhook_deliveries"] == 2
    with rt.store.read() as session:
        bodies = [json.loads(d.body) for d in session.scalars(select(DeliveryRow))]
    assert all(cid not in json.dumps(b) for b in bodies)
    assert all([e["candidate_id"] for e in b["entries"]] == ["other"] for b in bodies)
