"""Indexing owed by the outbox: embed and index what changed, mark it done once durable.

Processing is idempotent: documents carry the store's version, so replaying a row never regresses
an index and never duplicates a document. A row is marked processed only after the backend flushed
its effect; until then it stays pending and is handed out again (after a crash, a lost task, an outage).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from matcher.access.tenancy import audience
from matcher.core.erasure import erased_ids
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.progress import Progress
from matcher.core.records import candidate_from_row, offer_from_row
from matcher.core.retry import TransientError
from matcher.indexing.documents import (
    candidate_document,
    candidate_text,
    offer_document,
    offer_text,
    offer_vectors,
)
from matcher.indexing.vectors import record_model
from matcher.store.tables import CandidateRow, OfferRow, OutboxRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

log = logging.getLogger(__name__)
INDEX_TOPICS = ("offer", "candidate")
# ``last_error`` of rows whose task went to the dead letters: the dispatcher leaves them alone until a replay.
DEAD_MARK = "dead-letter"


class IndexingIncomplete(TransientError):
    """Some documents were refused by the backend; their rows stay pending and the task is retried.

    ``report`` tells what the batch did (lost when pickled: only the message crosses processes).
    """

    report: IndexingReport | None = None


@dataclass
class IndexingReport:
    rows: int = 0
    indexed: int = 0
    deleted: int = 0
    stale: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def live() -> ColumnElement[bool]:
    """Pending rows that are not parked in the dead letters."""
    return OutboxRow.processed_at.is_(None) & or_(
        OutboxRow.last_error.is_(None), OutboxRow.last_error.not_like(f"{DEAD_MARK}%")
    )


def pending_count(rt: Runtime) -> int:
    """Outbox rows waiting to be handed out (:func:`live`); rows parked in the dead letters count there, not here."""
    with rt.store.read() as session:
        return session.scalar(select(func.count()).select_from(OutboxRow).where(live())) or 0


def process_outbox(rt: Runtime, *, batch_size: int = 512, progress: Progress | None = None) -> IndexingReport:
    """Index, in this process, everything the outbox owes the indexes, batch by batch, until none is left.

    Rows whose documents fail stay pending (reported in ``failed``); the next run tries them again.
    """
    report = IndexingReport()
    query = select(OutboxRow.id).where(live(), OutboxRow.topic.in_(INDEX_TOPICS)).order_by(OutboxRow.id)
    with rt.store.read() as session:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if progress and total:
        progress("indexation", 0, total)  # starts the clock: rates are then per second of work
    after = 0
    while True:
        with rt.store.read() as session:
            ids = list(session.scalars(query.where(OutboxRow.id > after).limit(batch_size)))
        if not ids:
            break
        after = ids[-1]
        try:
            batch = index_outbox_rows(rt, ids, log_batch=progress is None)
        except IndexingIncomplete as exc:
            batch = exc.report or IndexingReport()
        _merge(report, batch)
        if progress:
            progress("indexation", min(report.rows, total), total)
    return report


def _merge(into: IndexingReport, part: IndexingReport) -> None:
    into.rows += part.rows
    into.indexed += part.indexed
    into.deleted += part.deleted
    into.stale += part.stale
    into.failed.update(part.failed)


def index_outbox_rows(rt: Runtime, ids: Sequence[int], *, log_batch: bool = True) -> IndexingReport:
    """Apply these outbox rows to the indexes (rows already processed are skipped), flush, mark them done.

    ``log_batch=False`` where a progress line already tells it (a log line would break the terminal's line).

    Raises:
        IndexingIncomplete: some documents were refused; those rows stay pending with ``last_error``.
        Exception: the backend or the store failed; every row stays pending, ``attempts`` counts the failure.
    """
    report = IndexingReport()
    with rt.store.read() as session:
        rows = list(
            session.scalars(
                select(OutboxRow)
                .where(OutboxRow.id.in_(list(ids)), OutboxRow.processed_at.is_(None))
                .order_by(OutboxRow.id)
            )
        )
    if not rows:
        return report
    try:
        _process_batch(rt, rows, report)
        rt.backend.flush()  # durable before the rows are marked done
    except Exception as exc:
        _mark(rt, [r.id for r in rows], done=False, error=f"{type(exc).__name__}: {exc}")
        raise
    failed = {(r.topic, r.entity_id) for r in rows if r.entity_id in report.failed}
    _mark(rt, [r.id for r in rows if (r.topic, r.entity_id) not in failed], done=True)
    report.rows = len(rows)
    (log.info if log_batch else log.debug)(
        "outbox rows indexed",
        extra={
            "rows": len(rows),
            "indexed": report.indexed,
            "deleted": report.deleted,
            # The requests that wrote these rows: their logs and this task's join on it.
            "request_ids": sorted({r.request_id for r in rows if r.request_id}),
        },
    )
    if failed:
        bad = [r.id for r in rows if (r.topic, r.entity_id) in failed]
        _mark(rt, bad, done=False, error="; ".join(f"{k}: {v}" for k, v in report.failed.items()))
        incomplete = IndexingIncomplete(f"{len(bad)} documents refusés par l'index : {sorted(report.failed)[:5]}")
        incomplete.report = report
        raise incomplete
    return report


def _mark(rt: Runtime, ids: list[int], *, done: bool, error: str | None = None) -> None:
    if not ids:
        return
    with rt.store.transaction() as session:
        now = datetime.now(UTC)
        for row in session.scalars(select(OutboxRow).where(OutboxRow.id.in_(ids))):
            row.attempts += 1
            if done:
                row.processed_at = now
                row.last_error = None
            else:
                row.last_error = (error or "")[:500]


def _process_batch(rt: Runtime, batch: Sequence[OutboxRow], report: IndexingReport) -> None:
    latest: dict[tuple[str, str], OutboxRow] = {}
    for row in batch:  # several changes to one record in a batch: only the last one matters
        latest[(row.topic, row.entity_id)] = row
    for topic, index in (("offer", OFFERS), ("candidate", CANDIDATES)):
        upserts = [r.entity_id for (t, _), r in latest.items() if t == topic and r.action == "upsert"]
        deletes = [(r.entity_id, r.version) for (t, _), r in latest.items() if t == topic and r.action == "delete"]
        if upserts:
            index_records(rt, topic, index, upserts, report)
        if deletes:
            result = rt.backend.delete(index, deletes)
            report.deleted += len(result.written)
            report.stale += len(result.stale)
            report.failed.update(result.failed)


def index_records(rt: Runtime, topic: str, index: str, ids: list[str], report: IndexingReport) -> None:
    """Embed and index these records as the store holds them now (profiles closed or erased are skipped)."""
    with rt.store.read() as session:
        if topic == "offer":
            offers = [offer_from_row(r) for r in session.scalars(select(OfferRow).where(OfferRow.id.in_(ids)))]
            vectors = offer_vectors(rt.embedder, [o.title for o in offers], [offer_text(o) for o in offers])
            documents = [offer_document(o, v, rt.geography) for o, v in zip(offers, vectors, strict=True)]
        else:
            erased = erased_ids(session, kind="candidate", ids=ids)  # a tombstone beats any replayed row
            rows = [
                r for r in session.scalars(select(CandidateRow).where(CandidateRow.id.in_(ids))) if r.id not in erased
            ]
            # Least privilege: only profiles open to employers (all, or those a consent names) are in the index.
            audiences = {r.id: audience(r) for r in rows}
            hidden = [(r.id, r.version) for r in rows if not audiences[r.id]]
            if hidden:
                report.deleted += len(rt.backend.delete(index, hidden).written)
            candidates = [candidate_from_row(r) for r in rows if audiences[r.id]]
            vectors = rt.embedder.embed(
                [candidate_text(c, rt.taxonomy) for c in candidates], owners=[c.id for c in candidates]
            )
            documents = [
                candidate_document(c, v, rt.taxonomy, rt.geography, audience=audiences[c.id])
                for c, v in zip(candidates, vectors, strict=True)
            ]
    # A record deleted since its row was written is absent here: its delete row follows.
    result = rt.backend.upsert(index, documents)
    report.indexed += len(result.written)
    report.stale += len(result.stale)
    report.failed.update(result.failed)
    for doc_id, reason in result.failed.items():
        log.error("indexing failed for %s %s: %s", topic, doc_id, reason)


def rebuild_indices(rt: Runtime, *, progress: Progress | None = None, record: bool = True) -> IndexingReport:
    """Drop both indexes and index every record of the store again (the store is the truth).

    ``record``: note the embedder's model as the indexes' (not when filling indexes not yet served).
    """
    report = IndexingReport()
    for topic, index, table in (("offer", OFFERS, OfferRow), ("candidate", CANDIDATES, CandidateRow)):
        drop = getattr(rt.backend, "drop_index", None)
        if drop:
            drop(index)
        rt.backend.ensure_index(index, dims=rt.embedder.dims)
        with rt.store.read() as session:
            ids = list(session.scalars(select(table.id).order_by(table.id)))
        for start in range(0, len(ids), 512):
            index_records(rt, topic, index, ids[start : start + 512], report)
            if progress:
                progress(f"reconstruction {index}", min(start + 512, len(ids)), len(ids))
    rt.backend.flush()
    if record:
        record_model(rt)
    return report
