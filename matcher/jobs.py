"""Background work owed by the outbox: embed and index what changed.

In the embedded default these functions run in-process (after each write, or from the CLI);
the same functions are what background workers call. Processing is idempotent: documents carry
the store's version, so replaying a row never regresses an index.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from matcher.documents import candidate_document, candidate_text, offer_document, offer_text
from matcher.domain import Visibility
from matcher.records import candidate_from_row, offer_from_row
from matcher.runtime import CANDIDATES, OFFERS, Runtime
from matcher.store.tables import CandidateRow, OfferRow, OutboxRow

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


@dataclass
class IndexingReport:
    rows: int = 0
    indexed: int = 0
    deleted: int = 0
    stale: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def pending_count(rt: Runtime) -> int:
    with rt.store.read() as session:
        return len(session.scalars(select(OutboxRow.id).where(OutboxRow.processed_at.is_(None))).all())


def process_outbox(rt: Runtime, *, batch_size: int = 512, progress: Progress | None = None) -> IndexingReport:
    """Index everything the outbox holds, batch by batch, until it is empty."""
    report = IndexingReport()
    total = pending_count(rt)
    if progress and total:
        progress("indexation", 0, total)  # starts the clock: rates are then per second of work
    while True:
        with rt.store.read() as session:
            batch = session.scalars(
                select(OutboxRow).where(OutboxRow.processed_at.is_(None)).order_by(OutboxRow.id).limit(batch_size)
            ).all()
        if not batch:
            break
        _process_batch(rt, batch, report)
        report.rows += len(batch)
        if progress:
            progress("indexation", report.rows, total)
    rt.backend.flush()
    return report


def _process_batch(rt: Runtime, batch: Sequence[OutboxRow], report: IndexingReport) -> None:
    latest: dict[tuple[str, str], OutboxRow] = {}
    for row in batch:  # several changes to one record in a batch: only the last one matters
        latest[(row.topic, row.entity_id)] = row
    for topic, index in (("offer", OFFERS), ("candidate", CANDIDATES)):
        upserts = [r.entity_id for (t, _), r in latest.items() if t == topic and r.action == "upsert"]
        deletes = [(r.entity_id, r.version) for (t, _), r in latest.items() if t == topic and r.action == "delete"]
        if upserts:
            _index_records(rt, topic, index, upserts, report)
        if deletes:
            result = rt.backend.delete(index, deletes)
            report.deleted += len(result.written)
            report.stale += len(result.stale)
    with rt.store.transaction() as session:
        now = datetime.now(UTC)
        for row in batch:
            stored = session.get(OutboxRow, row.id)
            if stored is not None:
                stored.processed_at = now
                stored.attempts += 1


def _index_records(rt: Runtime, topic: str, index: str, ids: list[str], report: IndexingReport) -> None:
    with rt.store.read() as session:
        if topic == "offer":
            offers = [offer_from_row(r) for r in session.scalars(select(OfferRow).where(OfferRow.id.in_(ids)))]
            vectors = rt.embedder.embed([offer_text(o) for o in offers])
            documents = [offer_document(o, v, rt.geography) for o, v in zip(offers, vectors, strict=True)]
        else:
            found = [
                candidate_from_row(r) for r in session.scalars(select(CandidateRow).where(CandidateRow.id.in_(ids)))
            ]
            # Least privilege: only profiles their owners opened to employers are in the index.
            hidden = [(c.id, c.version) for c in found if c.visibility != Visibility.EMPLOYERS]
            if hidden:
                report.deleted += len(rt.backend.delete(index, hidden).written)
            candidates = [c for c in found if c.visibility == Visibility.EMPLOYERS]
            vectors = rt.embedder.embed([candidate_text(c, rt.taxonomy) for c in candidates])
            documents = [
                candidate_document(c, v, rt.taxonomy, rt.geography) for c, v in zip(candidates, vectors, strict=True)
            ]
    # A record deleted since its row was written is absent here: its delete row follows.
    result = rt.backend.upsert(index, documents)
    report.indexed += len(result.written)
    report.stale += len(result.stale)
    report.failed.update(result.failed)
    for doc_id, reason in result.failed.items():
        log.error("indexing failed for %s %s: %s", topic, doc_id, reason)


def rebuild_indices(rt: Runtime, *, progress: Progress | None = None) -> IndexingReport:
    """Drop both indexes and index every record of the store again (the store is the truth)."""
    report = IndexingReport()
    for topic, index, table in (("offer", OFFERS, OfferRow), ("candidate", CANDIDATES, CandidateRow)):
        drop = getattr(rt.backend, "drop_index", None)
        if drop:
            drop(index)
        rt.backend.ensure_index(index, dims=rt.embedder.dims)
        with rt.store.read() as session:
            ids = list(session.scalars(select(table.id).order_by(table.id)))
        for start in range(0, len(ids), 512):
            _index_records(rt, topic, index, ids[start : start + 512], report)
            if progress:
                progress(f"reconstruction {index}", min(start + 512, len(ids)), len(ids))
    rt.backend.flush()
    return report


class InProcessRunner:
    """The embedded job runner: drains the outbox in the calling thread, one drain at a time.

    A kick while a drain runs only asks that drain to go round once more, so every accepted
    write is indexed without two drains embedding the same rows.
    """

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._lock = threading.Lock()
        self._again = threading.Event()

    def kick(self) -> None:
        self._again.set()
        while self._again.is_set():
            if not self._lock.acquire(blocking=False):
                return  # the running drain will see the flag
            try:
                self._again.clear()
                process_outbox(self.rt)
            finally:
                self._lock.release()
