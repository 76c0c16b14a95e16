"""How long candidates' data is kept (CNIL recruitment guide, 2023; GDPR art. 5(1)(e)), and the purge.

Rules, with each employer's durations (``EmployerRow.retention_not_hired_days``, default 90 days, and
``retention_pool_days``, default 730 days):

- ``not_hired``: a candidate a recruiter decided on, or in an offer's pipeline (approached, answered,
  interested), is kept until 3 months after the end of the process (``OfferRow.closed_at``) of every
  such offer; while one is open, nothing runs.
  An offer deleted since counts as a process that ended with its last decision.
- ``no_process``: a candidate never in a process is kept 3 months after their last contact (profile
  edit or recruiter decision; creation or last update when none was recorded).
- ``talent_pool``: a candidate who consented to the talent pool is kept 2 years after their last contact.
- Hired candidates are never purged here: their data moves to HR files under other rules.

Where several processes are involved, the latest of their deadlines applies.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from indices.errors import SearchError
from indices.protocol import ExpungesDeleted
from matcher.core.indexes import CANDIDATES
from matcher.core.models import Decision
from matcher.governance import audit
from matcher.governance.privacy import erase_candidate
from matcher.store.tables import CandidateRow, EmployerRow, FeedbackRow, OfferRow, PipelineEventRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

log = logging.getLogger(__name__)

NOT_HIRED_DAYS = 90
POOL_DAYS = 730


@dataclass(frozen=True)
class RetentionItem:
    candidate_id: str
    rule: str  # not_hired | no_process | talent_pool
    deadline: datetime


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass
class _Process:
    hired: bool = False
    open: bool = False
    end: datetime | None = None  # the latest deadline of a closed process
    pool_days: int = POOL_DAYS


def _processes(session: Session) -> dict[str, _Process]:
    """Per candidate: the processes (offers with a recruiter decision) they took part in."""
    # Outer joins: decisions outlive a deleted offer, and must keep counting (a hired person stays hired).
    rows = session.execute(
        select(
            FeedbackRow.candidate_id,
            FeedbackRow.decision,
            FeedbackRow.created_at,
            OfferRow.id,
            OfferRow.closed_at,
            EmployerRow.retention_not_hired_days,
            EmployerRow.retention_pool_days,
        )
        .outerjoin(OfferRow, OfferRow.id == FeedbackRow.offer_id)
        .outerjoin(EmployerRow, EmployerRow.id == OfferRow.employer_id)
    )
    # An offer's pipeline is a process too (approached, answered, interested): the same clocks apply.
    steps = session.execute(
        select(
            PipelineEventRow.candidate_id,
            PipelineEventRow.stage,
            PipelineEventRow.at,
            OfferRow.id,
            OfferRow.closed_at,
            EmployerRow.retention_not_hired_days,
            EmployerRow.retention_pool_days,
        )
        .outerjoin(OfferRow, OfferRow.id == PipelineEventRow.offer_id)
        .outerjoin(EmployerRow, EmployerRow.id == OfferRow.employer_id)
    )
    out: dict[str, _Process] = {}
    for candidate_id, decision, decided_at, offer_id, closed_at, not_hired_days, pool_days in [*rows, *steps]:
        process = out.setdefault(candidate_id, _Process(pool_days=0))
        process.hired |= decision == Decision.HIRED.value
        ended = _utc(decided_at) if offer_id is None else (_utc(closed_at) if closed_at else None)
        if ended is None:
            process.open = True
        else:
            end = ended + timedelta(days=not_hired_days or NOT_HIRED_DAYS)
            process.end = max(process.end, end) if process.end else end
        process.pool_days = max(process.pool_days, pool_days or POOL_DAYS)
    return out


def schedule(session: Session) -> list[RetentionItem]:
    """Every candidate's retention deadline (hired candidates and open processes have none)."""
    processes = _processes(session)
    items = []
    columns = (
        CandidateRow.id,
        CandidateRow.talent_pool_consented_at,
        CandidateRow.last_contact_at,
        CandidateRow.updated_at,
    )
    for candidate_id, pool_since, last_contact, updated_at in session.execute(select(*columns)):
        process = processes.get(candidate_id)
        if process and (process.hired or process.open):
            continue
        contact = _utc(last_contact or updated_at)
        if pool_since is not None:
            days = process.pool_days if process else POOL_DAYS
            items.append(RetentionItem(candidate_id, "talent_pool", contact + timedelta(days=days)))
        elif process and process.end:
            items.append(RetentionItem(candidate_id, "not_hired", process.end))
        else:
            items.append(RetentionItem(candidate_id, "no_process", contact + timedelta(days=NOT_HIRED_DAYS)))
    return items


def due(session: Session, *, now: datetime) -> list[RetentionItem]:
    """Candidates whose retention deadline has passed at ``now``, oldest deadline first."""
    moment = _utc(now)
    return sorted((i for i in schedule(session) if i.deadline < moment), key=lambda i: (i.deadline, i.candidate_id))


@dataclass
class PurgeReport:
    dry_run: bool
    items: list[RetentionItem] = field(default_factory=list)
    erased: int = 0
    expunged: bool = False  # the search engine was asked to merge deleted documents away


def purge(rt: Runtime, *, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Erase every candidate past their deadline: store, every index, caches (see :func:`erase_candidate`).

    Then, where the search engine only marks deleted documents (Elasticsearch), ask it to merge them away:
    every erasure since the last purge (the nightly job) then leaves the disk too, not only the results.
    """
    moment = now or datetime.now(UTC)
    with rt.store.read() as session:
        items = due(session, now=moment)
    report = PurgeReport(dry_run=dry_run, items=items)
    if dry_run:
        return report
    for item in items:
        report.erased += erase_candidate(rt, candidate_id=item.candidate_id, reason="retention").erased
    if items:
        with rt.store.transaction() as session:
            audit.record(
                session,
                actor=None,  # the system, on a schedule
                action=audit.RETENTION_PURGED,
                subject="retention",
                payload={"erased": report.erased, "rules": dict(Counter(i.rule for i in items))},
            )
    if isinstance(rt.backend, ExpungesDeleted):
        try:
            rt.backend.expunge_deleted(CANDIDATES)
            report.expunged = True
        except SearchError:  # the erasures stand (deleted, unsearchable); the next purge asks again
            log.warning("the search engine could not be asked to expunge deleted documents", exc_info=True)
    return report
