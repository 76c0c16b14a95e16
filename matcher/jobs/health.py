"""The health check: is every part the service needs reachable, and is background work keeping up?

Degraded (the API answers 503) when the store, the search backend or the broker is out of reach,
when a broker is configured but no Celery worker answers a ping, or when the oldest pending outbox
row has waited longer than ``health_outbox_max_age_s`` (work accepted but nobody doing it). Indexed vectors
of another embedding model than the service's are a notice, not a degradation: searches still answer.

A Celery ping always waits its whole timeout (replies are collected from an unknown number of workers),
so workers seen answering are trusted for ``health_worker_cache_s``: a probe then costs milliseconds, not
a second. No answer is never trusted: while degraded, each probe asks again, so recovery shows at once.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.exc import SQLAlchemyError

from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.settings import MatcherSettings
from matcher.indexing.outbox import live
from matcher.indexing.vectors import recorded_model_query, vectors_id
from matcher.jobs import deadletters
from matcher.jobs.runner import broker_status
from matcher.runtime import Runtime
from matcher.store.tables import OutboxRow


class Health(BaseModel):
    status: str  # ok | degraded (then HTTP 503)
    store: str  # ok | unreachable
    search: str  # ok | unreachable
    broker: str  # embedded (jobs run in the API process) | ok | unreachable
    workers: list[str] | None  # Celery workers that answered a ping (None: no broker, jobs run in-process)
    index: dict[str, int]  # documents per index (empty when the search backend is out of reach)
    pending_jobs: int  # outbox rows not yet done (-1: store out of reach)
    oldest_pending_s: float | None  # age of the oldest of them (None: none pending, or store out of reach)
    dead_letters: int  # tasks given up and not replayed
    vectors_model: str | None  # the embedding model of the indexed vectors (None: none recorded, or store unreachable)
    problems: list[str]  # why the status is degraded, in French
    notices: list[str] = []  # what an operator should do, in French, while the service still answers (status ok)


def workers_seen(settings: MatcherSettings) -> list[str]:
    """Names of the Celery workers that answer a ping within ``health_worker_timeout_s`` (broker required)."""
    from matcher.jobs.worker import celery_app

    replies = celery_app(settings).control.inspect(timeout=settings.health_worker_timeout_s).ping() or {}
    return sorted(replies)


class WorkerWatch:
    """The workers last seen answering a ping, trusted for ``health_worker_cache_s`` (one per API process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: tuple[float, list[str]] | None = None  # (trusted until, monotonic clock; names)

    def workers(self, settings: MatcherSettings) -> list[str]:
        with self._lock:  # concurrent probes share one ping
            if self._seen is not None and self._seen[0] > time.monotonic():
                return self._seen[1]
            workers = workers_seen(settings)
            self._seen = (time.monotonic() + settings.health_worker_cache_s, workers) if workers else None
            return workers


@cache
def _backlog() -> Select[Any]:
    """Pending outbox rows, the oldest one's date, dead letters waiting: built once (building a statement and
    its cache key cost more than running it: half a probe's time)."""
    dead = deadletters.waiting_count_query().scalar_subquery()
    vectors = recorded_model_query().scalar_subquery()
    return select(func.count(), func.min(OutboxRow.created_at), dead, vectors).where(live())


def check(rt: Runtime, watch: WorkerWatch | None = None) -> Health:
    """Probe the store, the search backend, the broker and its workers, and the outbox's backlog.

    Args:
        watch: Where workers seen recently are kept (the API's); without it, every check pings.
    """
    settings, problems = rt.settings, []
    store, pending, oldest, dead, vectors = "ok", -1, None, -1, None
    try:
        with rt.store.read() as session:  # one statement: it also proves the store answers
            pending, first, dead, vectors = session.execute(_backlog()).one()
        if first is not None:
            first = first if first.tzinfo else first.replace(tzinfo=UTC)  # SQLite keeps no zone: stored as UTC
            oldest = round(max(0.0, (datetime.now(UTC) - first).total_seconds()), 1)
    except SQLAlchemyError:
        store = "unreachable"
        problems.append("base de données hors d'atteinte")
    search, index = "ok", {}
    try:
        index = {i: rt.backend.count(i) for i in (OFFERS, CANDIDATES)}
    except Exception:  # any backend failure means the same to a load balancer
        search = "unreachable"
        problems.append("moteur de recherche hors d'atteinte")
    broker, workers = broker_status(settings), None
    if broker == "unreachable":
        problems.append("broker hors d'atteinte")
    elif broker == "ok":
        try:
            workers = watch.workers(settings) if watch else workers_seen(settings)
        except Exception:  # the broker went away between the two probes
            workers = []
        if not workers:
            problems.append("aucun worker Celery ne répond")
    if oldest is not None and oldest > settings.health_outbox_max_age_s:
        problems.append(f"travail en attente depuis {oldest:.0f} s (seuil : {settings.health_outbox_max_age_s:.0f} s)")
    notices = []
    # Vectors of another model still answer searches, only worse: not a reason for a load balancer to drop the
    # instance (every instance shares the indexes), but for an operator to migrate them.
    if vectors is not None and vectors != (current := vectors_id(rt.embedder)):
        notices.append(
            f"vecteurs des index calculés par un autre modèle ({vectors} ; modèle actuel {current}) : "
            "lancez « matcher index migrate »"
        )
    return Health(
        status="degraded" if problems else "ok",
        store=store,
        search=search,
        broker=broker,
        workers=workers,
        index=index,
        pending_jobs=pending,
        oldest_pending_s=oldest,
        dead_letters=dead,
        vectors_model=vectors,
        problems=problems,
        notices=notices,
    )
