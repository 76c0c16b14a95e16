"""Every background task, as a plain function of ids, and the one policy that runs them.

Celery workers (:mod:`matcher.worker`) and the embedded runner (:class:`matcher.jobs.InProcessRunner`)
call the same :func:`run_job`: a task either succeeds, is retried later with exponential backoff
(transient failure, retries left), or goes to the dead letters. Tasks take ids, never objects, and are
idempotent: running one twice (a redelivery after a crash, a replay) does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.access import signup
from matcher.approach import approaches, notices
from matcher.catalog import candidate_sync
from matcher.catalog.alerts import send_digests
from matcher.core import metrics
from matcher.core.retry import Dead, Done, Outcome, Retry, backoff_s, describe, is_transient
from matcher.governance import retention
from matcher.indexing.admin import check_indices
from matcher.indexing.outbox import DEAD_MARK, index_outbox_rows
from matcher.jobs import deadletters
from matcher.jobs.context import Context
from matcher.jobs.dispatch import dispatch
from matcher.jobs.leases import new_owner
from matcher.notify import account_mail, deliveries
from matcher.store.tables import OutboxRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    run: Callable[..., dict[str, Any]]
    # Claims held while the task owns its work (extended across retries, released at the end). A job
    # with claims takes one argument (its work) and, after it, the owner token of the claim.
    lease_keys: Callable[[list[Any]], list[str]] | None = None
    # Run in the transaction that records the dead letter: both are written, or neither.
    on_dead: Callable[[Session, list[Any], int, str], None] | None = None
    # Makes the work pending again, in the transaction that marks the dead letter replayed.
    on_replay: Callable[[Session, list[Any]], None] | None = None

    def split(self, args: list[Any]) -> tuple[list[Any], list[str], str]:
        """(the work's arguments, its lease keys, the owner token); no token (an older message): ``""``."""
        if self.lease_keys is None:
            return args, [], ""
        work = args[:1]
        return work, self.lease_keys(work), str(args[1]) if len(args) > 1 else ""


# --- indexing --------------------------------------------------------------------------------


def _index_outbox(ctx: Context, ids: list[int]) -> dict[str, Any]:
    report = index_outbox_rows(ctx.rt, ids)
    return {k: v for k, v in asdict(report).items() if k != "failed"}


def _outbox_keys(args: list[Any]) -> list[str]:
    return [f"outbox:{i}" for i in args[0]]


def _park_rows(session: Session, args: list[Any], dead_id: int, error: str) -> None:
    for row in session.scalars(select(OutboxRow).where(OutboxRow.id.in_(args[0]))):
        if row.processed_at is None:
            row.last_error = f"{DEAD_MARK} #{dead_id}: {error}"[:500]


def _unpark_rows(session: Session, args: list[Any]) -> None:
    for row in session.scalars(select(OutboxRow).where(OutboxRow.id.in_(args[0]))):
        if row.last_error and row.last_error.startswith(DEAD_MARK):
            row.last_error = None


# --- webhooks --------------------------------------------------------------------------------


def _deliver(ctx: Context, delivery_id: str) -> dict[str, Any]:
    return {"delivery": delivery_id, "status": deliveries.attempt_delivery(ctx.rt, delivery=delivery_id)}


# --- approaches ------------------------------------------------------------------------------


def _notify_approach(ctx: Context, ids: list[int]) -> dict[str, Any]:
    """The e-mail and webhook an approach's outbox row owes; the row is done once the mail has gone."""
    notified = 0
    for row_id in ids:
        with ctx.rt.store.read() as session:
            row = session.get(OutboxRow, row_id)
            if row is None or row.processed_at is not None:
                continue
            approach_id, action = row.entity_id, row.action
        notice = notices.prepare(ctx.rt, approach_id=approach_id, action=action)
        notices.send(ctx.rt, notice)
        with ctx.rt.store.transaction() as session:
            done = session.get(OutboxRow, row_id)
            if done is not None:
                done.processed_at, done.attempts = datetime.now(UTC), done.attempts + 1
        owner = new_owner()
        lease_s = ctx.rt.settings.outbox_lease_s
        if notice.delivery and ctx.leases.claim([f"delivery:{notice.delivery}"], lease_s, owner=owner):
            ctx.executor.submit("matcher.deliver_webhook", [notice.delivery, owner])
        notified += 1
    return {"notified": notified}


# --- accounts: sign-up and password e-mails ----------------------------------------------------


def _send_account_mail(ctx: Context, ids: list[int]) -> dict[str, Any]:
    """The e-mail an ``account`` outbox row owes; the row is done once it has gone (or is owed no more)."""
    sent = 0
    for row_id in ids:
        with ctx.rt.store.read() as session:
            row = session.get(OutboxRow, row_id)
            if row is None or row.processed_at is not None:
                continue
            entity_id, action = row.entity_id, row.action
        message = account_mail.prepare(ctx.rt, row_id=row_id, entity_id=entity_id, action=action)
        account_mail.send(ctx.rt, message)
        with ctx.rt.store.transaction() as session:
            done = session.get(OutboxRow, row_id)
            if done is not None:
                done.processed_at, done.attempts = datetime.now(UTC), done.attempts + 1
        sent += message is not None
    return {"sent": sent}


def _expire_approaches(ctx: Context) -> dict[str, Any]:
    return approaches.expire(ctx.rt, now=datetime.now(UTC))


def _expire_consents(ctx: Context) -> dict[str, Any]:
    return candidate_sync.expire_consents(ctx.rt, now=datetime.now(UTC))


# --- periodic --------------------------------------------------------------------------------


def _dispatch(ctx: Context) -> dict[str, Any]:
    return dispatch(ctx)


def _digests(ctx: Context) -> dict[str, Any]:
    return send_digests(ctx.rt, now=datetime.now(UTC))


def _retention(ctx: Context) -> dict[str, Any]:
    now = datetime.now(UTC)
    return _plain(retention.purge(ctx.rt, now=now)) | {"unverified_accounts": signup.forget_unverified(ctx.rt, now=now)}


def _retrain(ctx: Context) -> dict[str, Any]:
    # Same steps as `matcher train` (benchmark, ESCO-labelled titles, recruiters' decisions), model written to the
    # settings' path.
    # Imported here: training needs scikit-learn, which the API process (it imports this module) never loads.
    from matcher.evaluation import training

    trained = training.train(ctx.rt)
    return {"model": str(trained.path), "version": trained.manifest.version}


def _check_indices(ctx: Context) -> dict[str, Any]:
    checks = check_indices(ctx.rt)
    for c in checks:
        if not c.consistent:
            log.warning(
                "index %s inconsistent with the store: %d missing, %d stale, %d extra",
                c.index,
                len(c.missing),
                len(c.stale),
                len(c.extra),
            )
    return {
        c.index: {"expected": c.expected, "indexed": c.indexed, "missing": len(c.missing), "stale": len(c.stale)}
        for c in checks
    } | {"consistent": all(c.consistent for c in checks)}


def _plain(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        return asdict(value)
    except TypeError:
        return {"result": str(value)}


JOBS: dict[str, Job] = {
    "matcher.dispatch": Job(_dispatch),
    "matcher.index_outbox": Job(_index_outbox, lease_keys=_outbox_keys, on_dead=_park_rows, on_replay=_unpark_rows),
    "matcher.deliver_webhook": Job(
        _deliver,
        lease_keys=lambda args: [f"delivery:{args[0]}"],
        on_dead=lambda session, args, _id, _error: deliveries.mark_dead(session, args[0]),
        on_replay=lambda session, args: deliveries.make_pending(session, args[0]),
    ),
    "matcher.notify_approach": Job(
        _notify_approach, lease_keys=_outbox_keys, on_dead=_park_rows, on_replay=_unpark_rows
    ),
    "matcher.send_account_mail": Job(
        _send_account_mail, lease_keys=_outbox_keys, on_dead=_park_rows, on_replay=_unpark_rows
    ),
    "matcher.expire_approaches": Job(_expire_approaches),
    "matcher.expire_consents": Job(_expire_consents),
    "matcher.send_digests": Job(_digests),
    "matcher.purge_retention": Job(_retention),
    "matcher.retrain": Job(_retrain),
    "matcher.check_indices": Job(_check_indices),
}


def run_job(ctx: Context, name: str, args: list[Any], *, attempt: int) -> Outcome:
    """Run one try of a task. ``attempt`` counts the tries before this one (0 on the first).

    Returns :class:`Done`, :class:`Retry` (run it again after ``delay_s``; its claims are held until
    then) or :class:`Dead` (recorded in the dead letters, its claims released).
    """
    job = JOBS[name]
    work, keys, owner = job.split(args)
    settings = ctx.rt.settings
    try:
        result = job.run(ctx, *work)
    except Exception as exc:
        error = describe(exc)
        if is_transient(exc) and attempt < settings.task_max_retries:
            metrics.tasks.labels(task=name, outcome="retry").inc()
            delay = backoff_s(attempt, base_s=settings.task_backoff_s, max_s=settings.task_backoff_max_s)
            ctx.leases.extend(keys, delay + settings.outbox_lease_s, owner=owner)
            log.warning("%s%s failed (try %d), retry in %.1f s: %s", name, work, attempt + 1, delay, error)
            return Retry(delay, error)
        with ctx.rt.store.transaction() as session:
            dead_id = deadletters.record(session, task=name, args=work, error=error, attempts=attempt + 1)
            if job.on_dead:  # parked in the same commit: no dispatcher sees the dead letter's work as pending
                job.on_dead(session, work, dead_id, error)
        ctx.leases.release(keys, owner=owner)
        log.error("%s%s gave up after %d tries (dead letter %d): %s", name, work, attempt + 1, dead_id, error)
        metrics.tasks.labels(task=name, outcome="dead").inc()
        return Dead(dead_id, error)
    ctx.leases.release(keys, owner=owner)
    metrics.tasks.labels(task=name, outcome="done").inc()
    return Done(result)


def replay(ctx: Context, *, dead_letter_id: int) -> str:
    """Submit a dead letter's task again; returns the task name.

    The dead letter is marked replayed and its work made pending again in one transaction (both or
    neither); its claims are taken before that commits, so no dispatcher hands the work out meanwhile.
    """
    owner = new_owner()
    with ctx.rt.store.transaction() as session:
        name, args = deadletters.take_for_replay(session, dead_letter_id=dead_letter_id)
        job = JOBS[name]
        work, keys, _ = job.split(args)
        if job.on_replay:
            job.on_replay(session, work)
        ctx.leases.extend(keys, ctx.rt.settings.outbox_lease_s, owner=owner)
    ctx.executor.submit(name, [*work, owner] if job.lease_keys else work)
    return name
