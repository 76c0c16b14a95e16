"""Index administration: compare the indexes with the store, and migrate them without downtime.

The SQL store is the truth. :func:`check_indices` lists, per index, the records the index misses, holds
at another version, or holds although the store no longer has them (or hides them from employers).

:func:`migrate_indices` on Elasticsearch: for each logical index, create a new physical index with the
current mapping, fill it from the store (the documents are built by :func:`matcher.jobs.rebuild_indices`,
its writes redirected to the new physical index), swap the alias in one atomic call, replay what
changed during the fill (writes made meanwhile went through the alias to the old index: the store
versions are compared with the alias's, differences re-indexed), then delete the old physical index.
Queries keep answering from the old index until the swap and from the new one after it.

The embedded backend has no aliases: there, migrating is rebuilding (:func:`matcher.jobs.rebuild_indices`:
each index is dropped, its directory removed, filled again from the store in this process and written back
on flush). Searches in this process during the rebuild see a partial index; a process already serving from
the same directory keeps its own in-memory copy until it restarts. On Elasticsearch, ``matcher index
rebuild`` is this migration (the alias keeps serving).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from indices.protocol import BulkResult, Document, Filter, Hit, Vector
from matcher.access.tenancy import audience_state
from matcher.core.errors import MatcherError
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.progress import Progress
from matcher.indexing.outbox import IndexingReport, index_records, rebuild_indices
from matcher.indexing.vectors import record_model
from matcher.store.tables import CandidateRow, OfferRow

if TYPE_CHECKING:
    from indices.elasticsearch import ElasticsearchBackend
    from matcher.runtime import Runtime

log = logging.getLogger(__name__)
TOPICS = {OFFERS: "offer", CANDIDATES: "candidate"}
REPLAY_BATCH = 512


class MigrationFailed(MatcherError):
    """A migration stopped before the swap: the aliases are untouched and the new physical indices dropped."""

    title = "Migration interrompue"


@dataclass
class IndexCheck:
    """One index compared with the store.

    Attributes:
        index: Logical index name.
        expected: Records the index should hold (every offer; candidates open to employers).
        indexed: Live documents in the index.
        missing: Ids in the store, absent from the index.
        stale: Ids indexed at another version than the store's.
        extra: Ids in the index that the store no longer has, or no longer shows to employers.
    """

    index: str
    expected: int
    indexed: int
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not (self.missing or self.stale or self.extra)


@dataclass
class MigrationReport:
    """What :func:`migrate_indices` did to one index.

    Attributes:
        index: Logical index name.
        old: Physical indices the alias pointed at before (deleted at the end); empty on the embedded backend.
        new: The physical index now behind the alias (None on the embedded backend).
        filled: Documents written by the fill.
        replayed: Records re-indexed after the swap because they changed during the fill.
        removed: Documents deleted after the swap (deleted or hidden in the store during the fill).
        check: The index compared with the store at the end.
    """

    index: str
    old: list[str]
    new: str | None
    filled: int
    replayed: int
    removed: int
    check: IndexCheck


def store_versions(rt: Runtime, index: str) -> tuple[dict[str, int], dict[str, int]]:
    """(versions the index should hold, versions of every stored record) for ``index``."""
    with rt.store.read() as session:
        if index == OFFERS:
            every = {oid: version for oid, version in session.execute(select(OfferRow.id, OfferRow.version))}
            return every, every
        rows = list(
            session.execute(
                select(
                    CandidateRow.id,
                    CandidateRow.version,
                    CandidateRow.visibility,
                    CandidateRow.consented_at,
                    CandidateRow.partner_consent,
                )
            )
        )
    # Least privilege, as in matcher.indexing.outbox: only profiles open to employers (all, or named ones) are
    # indexed; one whose consent ran out leaves the index with the consents job (until then it counts as extra).
    expected = {cid: version for cid, version, *state in rows if audience_state(*state)}
    return expected, {cid: version for cid, version, *_ in rows}


def check_index(rt: Runtime, index: str) -> IndexCheck:
    """Compare ``index`` with the store. Writes still in the outbox show up as missing or stale."""
    indexed = rt.backend.versions(index)
    expected, _ = store_versions(rt, index)
    return IndexCheck(
        index=index,
        expected=len(expected),
        indexed=len(indexed),
        missing=sorted(set(expected) - set(indexed)),
        stale=sorted(i for i, v in expected.items() if i in indexed and indexed[i] != v),
        extra=sorted(set(indexed) - set(expected)),
    )


def check_indices(rt: Runtime) -> list[IndexCheck]:
    """:func:`check_index` for every index."""
    rt.ensure_indices()
    return [check_index(rt, index) for index in (OFFERS, CANDIDATES)]


def replay(rt: Runtime, check: IndexCheck, report: IndexingReport) -> tuple[int, int]:
    """Bring ``check.index`` in line with the store: re-index missing and stale records, delete extra ones.

    Extra documents are deleted at the highest version known (the index's or the hidden record's), so a
    late write of an older version cannot bring them back. Returns (re-indexed, deleted) counts.
    """
    index = check.index
    again = check.missing + check.stale
    before = report.indexed
    for start in range(0, len(again), REPLAY_BATCH):
        index_records(rt, TOPICS[index], index, again[start : start + REPLAY_BATCH], report)
    removed = 0
    if check.extra:
        indexed = rt.backend.versions(index)
        _, stored = store_versions(rt, index)
        deletes = [(i, max(indexed.get(i, 0), stored.get(i, 0))) for i in check.extra]
        result = rt.backend.delete(index, deletes)
        removed = len(result.written)
        report.failed.update(result.failed)
    return report.indexed - before, removed


def uses_aliases(rt: Runtime) -> bool:
    """Whether the backend serves aliases over physical indices (Elasticsearch), so migrations swap them."""
    from indices.elasticsearch import ElasticsearchBackend

    return isinstance(rt.backend, ElasticsearchBackend)


def migrate_indices(rt: Runtime, *, progress: Progress | None = None, replay_rounds: int = 3) -> list[MigrationReport]:
    """Move every index to a freshly built one, from the store, while queries keep being answered.

    Args:
        rt: The runtime (its backend: Elasticsearch, or the embedded backend where this is a rebuild).
        progress: Called with (step, done, total) while filling.
        replay_rounds: Compare-and-replay rounds after the swap (writes may keep arriving meanwhile).
    """
    from indices.elasticsearch import ElasticsearchBackend

    if not isinstance(rt.backend, ElasticsearchBackend):
        report = rebuild_indices(rt, progress=progress)
        if report.failed:
            log.error("%d documents failed to index during the rebuild", len(report.failed))
        return [
            MigrationReport(index, [], None, rt.backend.count(index), 0, 0, check_index(rt, index))
            for index in (OFFERS, CANDIDATES)
        ]
    return _migrate_elasticsearch(rt, rt.backend, progress=progress, replay_rounds=replay_rounds)


def _migrate_elasticsearch(
    rt: Runtime, backend: ElasticsearchBackend, *, progress: Progress | None, replay_rounds: int
) -> list[MigrationReport]:
    dims = rt.embedder.dims
    old: dict[str, list[str]] = {}
    new: dict[str, str] = {}
    try:
        for index in (OFFERS, CANDIDATES):
            backend.ensure_index(index, dims=dims)
            old[index] = backend.physical_indices(index)
            new[index] = backend.create_physical_index(index, dims)
        # Bulk fill: no refresh per request; one refresh of the new indices at the end (target.flush()).
        filler = type(backend)(backend.settings, client=backend.client, refresh="false")
        target = _FillTarget(filler, new)
        fill_rt = copy.copy(rt)  # keeps the loaded taxonomy and geography
        fill_rt.backend = target
        filled = rebuild_indices(fill_rt, progress=progress, record=False)  # recorded once the aliases swap
        if filled.failed:
            doc_id, reason = next(iter(filled.failed.items()))
            raise MigrationFailed(f"{len(filled.failed)} documents not indexed, e.g. {doc_id}: {reason}")
    except BaseException:
        for index, physical in new.items():  # never behind the alias yet: safe to drop
            try:
                backend.delete_physical_index(index, physical)
            except Exception:
                log.exception("could not delete %s after a failed migration", physical)
        raise
    reports = []
    for index in (OFFERS, CANDIDATES):
        backend.swap_alias(index, new[index])
        log.info("alias of %s now points at %s (was %s)", index, new[index], old[index])
    record_model(rt)
    for index in (OFFERS, CANDIDATES):
        replayed = removed = 0
        report = IndexingReport()
        check = check_index(rt, index)
        for _ in range(replay_rounds):
            if check.consistent:
                break
            again, deleted = replay(rt, check, report)
            replayed, removed = replayed + again, removed + deleted
            check = check_index(rt, index)
        for physical in old[index]:
            backend.delete_physical_index(index, physical)
        filled_docs = len(target.written[index])
        reports.append(MigrationReport(index, old[index], new[index], filled_docs, replayed, removed, check))
    return reports


class _FillTarget:
    """The backend as :func:`rebuild_indices` sees it during a fill: writes go to the new physical indices.

    It has no ``drop_index`` (so the rebuild drops nothing) and ``ensure_index`` does nothing (the
    physical indices exist); reads go to the aliases.
    """

    def __init__(self, backend: ElasticsearchBackend, physical: dict[str, str]) -> None:
        self.backend = backend
        self.physical = physical
        self.written: dict[str, list[str]] = {index: [] for index in physical}

    def ensure_index(self, index: str, *, dims: int) -> None:
        return None

    def upsert(self, index: str, documents: Sequence[Document]) -> BulkResult:
        result = self.backend.upsert(index, documents, physical=self.physical[index])
        self.written[index] += result.written
        return result

    def delete(self, index: str, ids_versions: Sequence[tuple[str, int]]) -> BulkResult:
        return self.backend.delete(index, ids_versions, physical=self.physical[index])

    def versions(self, index: str) -> dict[str, int]:
        return self.backend.versions(index)

    def vectors(self, index: str, ids: Sequence[str]) -> dict[str, Vector]:
        return self.backend.vectors(index, ids)

    def bm25(self, index: str, text: str, *, filters: Sequence[Filter] = (), k: int = 100) -> list[Hit]:
        return self.backend.bm25(index, text, filters=filters, k=k)

    def knn(self, index: str, vector: Vector, *, filters: Sequence[Filter] = (), k: int = 100) -> list[Hit]:
        return self.backend.knn(index, vector, filters=filters, k=k)

    def count(self, index: str) -> int:
        return self.backend.count(index)

    def flush(self) -> None:
        self.backend.client.indices.refresh(index=",".join(self.physical.values()))
