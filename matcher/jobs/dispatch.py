"""The dispatcher: turns pending outbox rows into tasks, and re-sends work whose task was lost.

It runs after each write (the API process kicks it) and on the beat's schedule. Each row is claimed
(a lease) before its task is submitted, so concurrent dispatchers never hand the same row out twice;
a row still pending when its lease runs out (worker killed, broker restarted) is handed out again.
Index rows go out in batches (``matcher.index_outbox``); a ``shortlist`` row becomes, in the same
transaction that marks it done, the webhook delivery its employer is owed, then a delivery task.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from matcher.access.signup import TOPIC as ACCOUNT_TOPIC
from matcher.indexing.outbox import INDEX_TOPICS, live
from matcher.jobs.context import Context
from matcher.jobs.leases import new_owner
from matcher.notify import deliveries
from matcher.store.tables import OutboxRow

log = logging.getLogger(__name__)
PAGE = 5_000


def dispatch(ctx: Context) -> dict[str, Any]:
    """Submit tasks for every pending, unclaimed outbox row and every overdue delivery; returns counts."""
    settings = ctx.rt.settings
    counts = {"rows": 0, "index_tasks": 0, "deliveries": 0, "notices": 0, "skipped": 0}
    after = 0
    while True:
        with ctx.rt.store.read() as session:
            page = list(
                session.execute(
                    select(OutboxRow.id, OutboxRow.topic, OutboxRow.entity_id)
                    .where(live(), OutboxRow.id > after)
                    .order_by(OutboxRow.id)
                    .limit(PAGE)
                )
            )
        if not page:
            break
        after = page[-1][0]
        owner = new_owner()  # travels with the tasks: only they may extend or release these claims
        claimed = set(ctx.leases.claim([f"outbox:{i}" for i, _, _ in page], settings.outbox_lease_s, owner=owner))
        mine = [(i, topic, entity) for i, topic, entity in page if f"outbox:{i}" in claimed]
        counts["rows"] += len(mine)
        index_ids = [i for i, topic, _ in mine if topic in INDEX_TOPICS]
        for start in range(0, len(index_ids), settings.outbox_batch_size):
            ctx.executor.submit("matcher.index_outbox", [index_ids[start : start + settings.outbox_batch_size], owner])
            counts["index_tasks"] += 1
        for row_id, topic, entity in mine:
            if topic == "shortlist":
                counts["deliveries"] += _owe_delivery(ctx, row_id, entity, owner)
            elif topic == "approach":  # its e-mail and webhook (matcher.approach.notices)
                ctx.executor.submit("matcher.notify_approach", [[row_id], owner])
                counts["notices"] += 1
            elif topic == ACCOUNT_TOPIC:  # a sign-up or password e-mail (matcher.notify.account_mail)
                ctx.executor.submit("matcher.send_account_mail", [[row_id], owner])
                counts["notices"] += 1
            elif topic not in INDEX_TOPICS:
                counts["skipped"] += 1
                _close(ctx, row_id, f"sujet inconnu : {topic}")
        if len(page) < PAGE:
            break
    older_than = datetime.now(UTC) - timedelta(seconds=settings.outbox_lease_s)
    overdue = deliveries.overdue(ctx.rt, older_than=older_than)
    owner = new_owner()
    for delivery in ctx.leases.claim([f"delivery:{d}" for d in overdue], settings.outbox_lease_s, owner=owner):
        ctx.executor.submit("matcher.deliver_webhook", [delivery.removeprefix("delivery:"), owner])
        counts["deliveries"] += 1
    return counts


def _owe_delivery(ctx: Context, row_id: int, shortlist_id: str, row_owner: str) -> int:
    with ctx.rt.store.transaction() as session:
        delivery = deliveries.owe_shortlist(session, shortlist_id=shortlist_id)
        row = session.get(OutboxRow, row_id)
        if row is not None:
            row.processed_at = datetime.now(UTC)
            row.attempts += 1
    ctx.leases.release([f"outbox:{row_id}"], owner=row_owner)
    owner = new_owner()
    if delivery is None or not ctx.leases.claim([f"delivery:{delivery}"], ctx.rt.settings.outbox_lease_s, owner=owner):
        return 0
    ctx.executor.submit("matcher.deliver_webhook", [delivery, owner])
    return 1


def _close(ctx: Context, row_id: int, error: str) -> None:
    log.warning("outbox row %d closed: %s", row_id, error)
    with ctx.rt.store.transaction() as session:
        row = session.get(OutboxRow, row_id)
        if row is not None:
            row.processed_at, row.last_error = datetime.now(UTC), error[:500]
