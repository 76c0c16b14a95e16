"""Background work, and who runs it: Celery workers when a broker is configured, else this process.

Every commit that adds outbox rows wakes :class:`InProcessRunner` (a hook on the store: no write
path can forget it), from a thread of its own so the writer does not wait. Without a broker (the embedded
default) it dispatches the outbox and runs the tasks right here, one drain at a time, retries on
timers; with a broker it only dispatches (cheap: claims and messages) and Celery workers do the work.
Either way the same task functions run (:mod:`matcher.tasks`), under the same retry policy.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from matcher.core.retry import Retry
from matcher.core.settings import MatcherSettings
from matcher.indexing.outbox import IndexingReport, pending_count, process_outbox, rebuild_indices
from matcher.jobs.context import Context
from matcher.jobs.dispatch import dispatch
from matcher.jobs.leases import process_leases
from matcher.jobs.tasks import run_job
from matcher.store.tables import OutboxRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

__all__ = [
    "InProcessRunner",
    "IndexingReport",
    "broker_status",
    "context_for",
    "pending_count",
    "process_outbox",
    "rebuild_indices",
]
log = logging.getLogger(__name__)
WAKE_GRACE_S = 1.0  # a commit's wake-up waits this long for its writer's own kick


class InProcessRunner:
    """The job runner of a process that accepts writes (the API, the CLI).

    A kick while a drain runs only asks that drain to go round once more, so every accepted write
    is dispatched without two drains handing out the same rows.
    """

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.leases = process_leases(rt.store)  # one process's claims, whichever runner takes them
        self._lock = threading.RLock()
        self._again = threading.Event()
        self._busy = False  # a drain or a task runs (read and written only while holding _lock)
        self._timers: set[threading.Timer] = set()
        self._timer_lock = threading.Lock()
        self._pending_dispatch: threading.Timer | None = None
        self._local = Context(rt=rt, executor=self, leases=self.leases)
        # With a broker, dispatching hands the work to Celery; without, to this runner.
        self.context = context_for(rt) if rt.settings.broker_url else self._local
        self._wake_timer: threading.Timer | None = None
        self._unhook = rt.store.on_commit(_wake_on_outbox(weakref.ref(self)))
        weakref.finalize(self, self._unhook)  # a runner dropped without close() stops listening too

    def wake(self) -> None:
        """Kick soon, from a timer thread: called as a commit that added outbox rows returns, it must not wait.

        The grace period lets a caller that kicks right after its write (the API, once the response is
        sent) dispatch it itself, in order; a wake-up then finds nothing left, or makes that drain loop once.
        """
        with self._timer_lock:
            if self._wake_timer is not None and self._wake_timer.is_alive():
                return  # that timer has not fired yet: its kick will see this commit's rows
            self._wake_timer = threading.Timer(WAKE_GRACE_S, self._woken)
            self._wake_timer.daemon = True
            self._wake_timer.start()

    def _woken(self) -> None:
        try:
            self.kick()
        except Exception:  # the rows stay pending: the next write, kick or beat hands them out
            log.exception("wake-up dispatch failed")

    def kick(self) -> None:
        """Dispatch what the last writes owe. With a broker, kicks within ``dispatch_debounce_s`` share one
        dispatch, so a burst of writes goes out in batches (the embedding batches) rather than one task per row.
        """
        delay = self.rt.settings.dispatch_debounce_s
        if self.rt.settings.broker_url and delay > 0:
            with self._timer_lock:
                if self._pending_dispatch is None or not self._pending_dispatch.is_alive():
                    self._pending_dispatch = threading.Timer(delay, self._drain)
                    self._pending_dispatch.daemon = True
                    self._pending_dispatch.start()
            return
        self._drain()

    def _drain(self) -> None:
        self._again.set()
        while self._again.is_set():
            if not self._lock.acquire(blocking=False):
                return  # whoever holds the lock (a drain, a task) sees the flag once it lets go
            if self._busy:  # this thread already holds it (a kick from a task a drain runs): that drain loops
                self._lock.release()
                return
            self._busy = True
            try:
                self._again.clear()
                dispatch(self.context)
            except Exception:  # the write is stored; the beat's next dispatch hands it out
                log.exception("dispatch failed; pending work stays in the outbox")
            finally:
                self._busy = False
                self._lock.release()

    def submit(self, name: str, args: list[Any], attempt: int = 0) -> None:
        """Run a task here now; a transient failure is tried again later on a timer."""
        with self._lock:
            nested, self._busy = self._busy, True  # nested: run by a drain, which re-checks the flag itself
            try:
                outcome = run_job(self._local, name, args, attempt=attempt)
            finally:
                self._busy = nested
        if isinstance(outcome, Retry):
            timer = threading.Timer(outcome.delay_s, self._retry, (name, args, attempt + 1))
            timer.daemon = True
            with self._timer_lock:
                self._timers.add(timer)
            timer.start()
        if not nested and self._again.is_set():
            self._drain()  # a kick came while this task (a retry on a timer) held the lock: dispatch it now

    def _retry(self, name: str, args: list[Any], attempt: int) -> None:
        with self._timer_lock:
            self._timers = {t for t in self._timers if t.is_alive() and t is not threading.current_thread()}
        try:
            self.submit(name, args, attempt)
        except Exception:
            log.exception("retry of %s failed", name)

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop listening to commits and cancel the pending retries and wake-ups (their work stays pending in
        the store); a wake-up already dispatching may finish (up to ``timeout_s``)."""
        self._unhook()
        with self._timer_lock:
            timers = [*self._timers, *(t for t in (self._pending_dispatch, self._wake_timer) if t is not None)]
        for timer in timers:
            timer.cancel()
        if self._wake_timer is not None and self._wake_timer is not threading.current_thread():
            self._wake_timer.join(timeout_s)


def _wake_on_outbox(runner: weakref.ref[InProcessRunner]) -> Callable[[frozenset[str]], None]:
    """The store's commit hook: wakes the runner (while it lives) when outbox rows were committed."""

    def hook(tables: frozenset[str]) -> None:
        live = runner()
        if live is not None and OutboxRow.__tablename__ in tables:
            live.wake()

    return hook


def context_for(rt: Runtime) -> Context:
    """The context of a process that submits to Celery workers (the broker of the settings)."""
    from matcher.jobs.leases import RedisLeases
    from matcher.jobs.worker import CeleryExecutor, celery_app

    assert rt.settings.broker_url, "no broker: use InProcessRunner(rt).context"
    return Context(
        rt=rt,
        executor=CeleryExecutor(celery_app(rt.settings)),
        leases=RedisLeases(rt.settings.broker_url, namespace=rt.settings.task_queue),
    )


def broker_status(settings: MatcherSettings) -> str:
    """``embedded`` (no broker), ``ok`` or ``unreachable`` (for /health)."""
    if not settings.broker_url:
        return "embedded"
    import redis

    try:
        client = redis.Redis.from_url(settings.broker_url, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
        client.close()
    except (redis.exceptions.RedisError, OSError):
        return "unreachable"
    return "ok"
