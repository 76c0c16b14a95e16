"""Retention rules on a frozen clock: one day before the deadline the person is everywhere, one day after nowhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from indices.embedded import EmbeddedBackend
from indices.errors import SearchUnavailable
from matcher.catalog.candidates import create_candidate, update_candidate
from matcher.catalog.offers import create_offer, delete_offer
from matcher.core.indexes import CANDIDATES
from matcher.core.models import Decision, FeedbackIn
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.governance import audit
from matcher.governance.retention import due, purge
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from matcher.shortlists.decisions import record_feedback
from matcher.store.tables import AuditRow, CandidateRow, EmployerRow, OfferRow
from tests.factories import candidate_in, employer, offer_in

pytestmark = pytest.mark.both_stores  # also on PostgreSQL (tests/conftest.py)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def present(rt: Runtime, cid: str) -> tuple[bool, bool]:
    """(in the store, in the index)."""
    with rt.store.read() as session:
        stored = session.get(CandidateRow, cid) is not None
    return stored, cid in rt.backend.versions(CANDIDATES)


def purge_at(rt: Runtime, moment: datetime) -> list[str]:
    with time_machine.travel(moment, tick=False):
        report = purge(rt)
    return [i.candidate_id for i in report.items]


def new_candidate(rt: Runtime, **changes: object) -> str:
    with rt.store.transaction() as session:
        cid = create_candidate(session, data=candidate_in(**changes), taxonomy=rt.taxonomy, geography=rt.geography).id
    process_outbox(rt)
    return cid


def test_a_candidate_never_in_a_process_goes_three_months_after_the_last_contact(rt: Runtime) -> None:
    with time_machine.travel(T0, tick=False):
        cid = new_candidate(rt)
    assert present(rt, cid) == (True, True)
    assert purge_at(rt, T0 + 90 * DAY - DAY) == []
    assert present(rt, cid) == (True, True)
    assert purge_at(rt, T0 + 90 * DAY + DAY) == [cid]
    assert present(rt, cid) == (False, False)
    with rt.store.read() as session:
        logged = session.scalar(select(AuditRow).where(AuditRow.action == audit.RETENTION_PURGED))
        assert logged is not None and logged.payload == {"erased": 1, "rules": {"no_process": 1}}


def test_a_candidate_not_hired_goes_after_the_employers_duration_once_the_process_ends(rt: Runtime) -> None:
    with time_machine.travel(T0, tick=False):
        eid = employer(rt)
        with rt.store.transaction() as session:
            session.get(EmployerRow, eid).retention_not_hired_days = 60  # type: ignore[union-attr]
            offer = create_offer(session, data=offer_in(eid), taxonomy=rt.taxonomy, geography=rt.geography)
        cid = new_candidate(rt)
        with rt.store.transaction() as session:
            record_feedback(session, offer_id=offer.id, data=FeedbackIn(candidate_id=cid, decision=Decision.INTERVIEW))
    # While the process is open nothing runs, however long it takes.
    assert purge_at(rt, T0 + 400 * DAY) == []
    closed = T0 + 400 * DAY
    with rt.store.transaction() as session:
        session.get(OfferRow, offer.id).closed_at = closed  # type: ignore[union-attr]
    with rt.store.read() as session:
        assert [(i.rule, i.deadline) for i in due(session, now=closed + 61 * DAY)] == [("not_hired", closed + 60 * DAY)]
    assert purge_at(rt, closed + 60 * DAY - DAY) == []
    assert present(rt, cid) == (True, True)
    assert purge_at(rt, closed + 60 * DAY + DAY) == [cid]
    assert present(rt, cid) == (False, False)


def test_the_talent_pool_keeps_a_candidate_two_years_after_the_last_contact(rt: Runtime) -> None:
    with time_machine.travel(T0, tick=False):
        cid = new_candidate(rt, talent_pool=True)
    assert purge_at(rt, T0 + 730 * DAY - DAY) == []
    assert present(rt, cid) == (True, True)
    assert purge_at(rt, T0 + 730 * DAY + DAY) == [cid]
    assert present(rt, cid) == (False, False)


def test_a_profile_edit_restarts_the_clock_and_hired_candidates_are_never_purged(rt: Runtime) -> None:
    with time_machine.travel(T0, tick=False):
        eid = employer(rt)
        with rt.store.transaction() as session:
            offer = create_offer(session, data=offer_in(eid), taxonomy=rt.taxonomy, geography=rt.geography)
        hired = new_candidate(rt)
        edited = new_candidate(rt)
        with rt.store.transaction() as session:
            record_feedback(session, offer_id=offer.id, data=FeedbackIn(candidate_id=hired, decision=Decision.HIRED))
            session.get(OfferRow, offer.id).closed_at = T0  # type: ignore[union-attr]
    with time_machine.travel(T0 + 80 * DAY, tick=False), rt.store.transaction() as session:
        update_candidate(
            session,
            candidate_id=edited,
            data=candidate_in(title="Paysagiste"),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
    assert purge_at(rt, T0 + 100 * DAY) == []
    assert purge_at(rt, T0 + 171 * DAY) == [edited]
    assert purge_at(rt, T0 + 5 * 365 * DAY) == []
    assert present(rt, hired) == (True, True)


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_dry_run_lists_without_erasing(rt: Runtime, dry_run: bool) -> None:
    with time_machine.travel(T0, tick=False):
        cid = new_candidate(rt)
    with time_machine.travel(T0 + 100 * DAY, tick=False):
        report = purge(rt, dry_run=dry_run)
    assert [i.candidate_id for i in report.items] == [cid] and report.erased == (0 if dry_run else 1)
    assert present(rt, cid) == ((True, True) if dry_run else (False, False))


class MarkingBackend(EmbeddedBackend):
    """The embedded backend answering as a search engine whose deletes only mark documents (Elasticsearch's
    expunge on a real node: tests/integration/test_elasticsearch_backend.py)."""

    def __init__(self, *, down: bool) -> None:
        super().__init__()
        self.down, self.asked = down, list[str]()

    def expunge_deleted(self, index: str) -> None:
        self.asked.append(index)
        if self.down:
            raise SearchUnavailable("unreachable")


@pytest.mark.parametrize("down", [False, True])
def test_the_purge_asks_the_search_engine_to_expunge_what_was_deleted(settings: MatcherSettings, down: bool) -> None:
    backend = MarkingBackend(down=down)
    rt = Runtime.open(settings, embedder=HashingEmbedder(), backend=backend)
    try:
        rt.ensure_indices()
        with time_machine.travel(T0, tick=False):
            cid = new_candidate(rt)
        with time_machine.travel(T0 + 100 * DAY, tick=False):
            report = purge(rt)
        # An engine out of reach keeps nothing from happening: erased now, expunged at a later purge.
        assert report.erased == 1 and present(rt, cid) == (False, False)
        assert backend.asked == [CANDIDATES] and report.expunged is not down
    finally:
        rt.close()


def test_decisions_outlive_a_deleted_offer(rt: Runtime) -> None:
    """A deleted offer ends its process at its last decision; a person hired on it is still never purged."""
    with time_machine.travel(T0, tick=False):
        eid = employer(rt)
        with rt.store.transaction() as session:
            offer = create_offer(session, data=offer_in(eid), taxonomy=rt.taxonomy, geography=rt.geography)
        hired, seen = new_candidate(rt), new_candidate(rt)
        with rt.store.transaction() as session:
            record_feedback(session, offer_id=offer.id, data=FeedbackIn(candidate_id=hired, decision=Decision.HIRED))
            record_feedback(session, offer_id=offer.id, data=FeedbackIn(candidate_id=seen, decision=Decision.INTERVIEW))
    with time_machine.travel(T0 + 10 * DAY, tick=False), rt.store.transaction() as session:
        delete_offer(session, offer_id=offer.id)
    assert purge_at(rt, T0 + 90 * DAY - DAY) == []
    assert purge_at(rt, T0 + 90 * DAY + DAY) == [seen]
    assert purge_at(rt, T0 + 5 * 365 * DAY) == []
    assert present(rt, hired) == (True, True)
