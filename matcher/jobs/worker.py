"""The Celery app: one per process, configured by the settings, every task of :mod:`matcher.tasks`.

Tasks are thin: they call :func:`matcher.tasks.run_job` and turn its outcome into Celery's terms
(``self.retry`` with the backoff delay). They acknowledge late (a worker killed mid-task leaves its
message to be delivered again) and each worker process opens its own runtime once, on first use.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init

from matcher.core.retry import Dead, Retry
from matcher.core.settings import MatcherSettings
from matcher.jobs.context import Context
from matcher.jobs.leases import Leases, MemoryLeases, RedisLeases
from matcher.jobs.tasks import JOBS, run_job
from matcher.runtime import Runtime

log = logging.getLogger(__name__)


class CeleryExecutor:
    """Submits tasks to the workers (or runs them at once when the app is eager, in tests)."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def submit(self, name: str, args: list[Any]) -> None:
        self.app.tasks[name].apply_async(args=args)


class _Process:
    """This process's runtime and task context, opened on first use (after the fork, in a worker)."""

    def __init__(self, app: Celery, settings: MatcherSettings, runtime: Runtime | None, warm: bool) -> None:
        self.app, self.settings, self.runtime, self.warm = app, settings, runtime, warm
        self._context: Context | None = None
        self._lock = threading.Lock()

    def context(self) -> Context:
        with self._lock:
            if self._context is None:
                rt = self.runtime or Runtime.open(self.settings)
                rt.ensure_indices()
                url = self.settings.broker_url or ""
                leases: Leases = (
                    RedisLeases(url, namespace=self.settings.task_queue) if url.startswith("redis") else MemoryLeases()
                )
                self._context = Context(rt=rt, executor=CeleryExecutor(self.app), leases=leases)
            return self._context

    def process_init(self, **_: Any) -> None:
        """In a forked worker child: never reuse the parent's connections; load the heavy parts now, once."""
        if self.runtime is None:
            self._context = None
        if self.warm:
            rt = self.context().rt
            rt.embedder.embed(["préchauffage"])  # loads the model
            rt.taxonomy.occupation("A1203"), rt.geography.get("07186")
            log.warning("matcher worker process ready")  # what scripts wait for (bench.ingest)


def make_celery(
    settings: MatcherSettings, *, runtime: Runtime | None = None, eager: bool = False, warm: bool = False
) -> Celery:
    """A Celery app for these settings.

    Args:
        runtime: use this one instead of opening one per process (tests).
        eager: run tasks at once, in the caller (tests).
        warm: open the runtime and load the model in each worker process as it starts (``matcher worker``).
    """
    broker = settings.broker_url or "memory://"
    backend = settings.result_backend or (broker if broker.startswith("redis") else None)
    app = Celery("matcher", broker=broker, backend=backend, set_as_current=False)
    app.conf.update(
        task_default_queue=settings.task_queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,  # a child killed mid-task: its message goes back to the queue
        worker_prefetch_multiplier=1,  # a worker holds one unacknowledged message per process, no more
        broker_transport_options={"visibility_timeout": settings.task_visibility_timeout_s},
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        timezone="Europe/Paris",
        beat_schedule=beat_schedule(settings),
        task_always_eager=eager,
        task_eager_propagates=False,  # eager retries (tests) are re-run by apply(), not raised
        worker_hijack_root_logger=False,
    )
    process = _Process(app, settings, runtime, warm)
    worker_process_init.connect(process.process_init, weak=False)
    for name in JOBS:
        _register(app, process, name)
    return app


def _register(app: Celery, process: _Process, name: str) -> None:
    # shared=False: several apps in one process (tests, benchmarks) each keep their own tasks.
    @app.task(name=name, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, shared=False)
    def task(self: Any, *args: Any) -> dict[str, Any]:
        outcome = run_job(process.context(), name, list(args), attempt=self.request.retries)
        if isinstance(outcome, Retry):
            raise self.retry(countdown=outcome.delay_s)
        if isinstance(outcome, Dead):
            return {"dead_letter": outcome.dead_letter_id, "error": outcome.error}
        return outcome.result


def beat_schedule(settings: MatcherSettings) -> dict[str, dict[str, Any]]:
    """Periodic jobs. Each expires before its next run, so a beat ticking while no worker runs piles nothing up."""
    tick = settings.dispatch_interval_s
    return {
        "outbox-dispatch": {"task": "matcher.dispatch", "schedule": tick, "options": {"expires": 2 * tick}},
        "alert-digests": {
            "task": "matcher.send_digests",
            "schedule": crontab(minute=0, hour=settings.digest_hour),
            "options": {"expires": 3600},
        },
        "approach-expiry": {
            "task": "matcher.expire_approaches",
            "schedule": crontab(minute=45),
            "options": {"expires": 1800},
        },
        "consent-expiry": {
            "task": "matcher.expire_consents",
            "schedule": crontab(minute=50),
            "options": {"expires": 1800},
        },
        "retention-purge": {
            "task": "matcher.purge_retention",
            "schedule": crontab(minute=30, hour=3),
            "options": {"expires": 3600},
        },
        "ranker-retraining": {
            "task": "matcher.retrain",
            "schedule": crontab(minute=0, hour=4, day_of_week="sunday"),
            "options": {"expires": 6 * 3600},
        },
        "index-consistency": {
            "task": "matcher.check_indices",
            "schedule": crontab(minute=15),
            "options": {"expires": 1800},
        },
    }


_apps: dict[tuple[str | None, str], Celery] = {}
_apps_lock = threading.Lock()


def celery_app(settings: MatcherSettings) -> Celery:
    """The process's app for this broker and queue, created once."""
    key = (settings.broker_url, settings.task_queue)
    with _apps_lock:
        if key not in _apps:
            _apps[key] = make_celery(settings)
        return _apps[key]
