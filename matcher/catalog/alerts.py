"""Job seekers' alert digests: one message per seeker per period listing the new offers their alerts match.

An alert is a saved search of kind ``offers`` (query text, filters, frequency ``daily`` or ``weekly``).
A digest goes out at most once per period (a day, an ISO week; the notifications' unique index on
(account, period) holds it even against two concurrent runs), only to an active seeker account whose
profile still exists, and only when something new matched. New offers are the offers published now
whose last write (``updated_at``: creation, publication, or an edit) falls after the alert's last
digest, that are already indexed and that this seeker was not sent before; so an offer created as a
draft and published later reaches the digest after its publication, and an edit of an offer already
sent does not send it again. They are matched with the search backend (:func:`matching_offer_ids`:
hybrid BM25 + kNN, restricted to those offers and to the alert's filters).

"Already indexed": the window ``(last digest, until]`` stops just before the oldest offer write still
waiting in the outbox (live rows: a row parked in the dead letters waits for an admin, not for us),
and an offer that still has a live outbox row is left out; it comes in a later digest, once indexed.

The notification row is written before sending; a message whose sending failed keeps ``sent_at``
empty and is sent again by the next run.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from matcher.catalog.search import SearchFilters, matching_offer_ids
from matcher.core.errors import InvalidInput
from matcher.core.models import OfferStatus
from matcher.core.retry import TransientError, describe, is_transient
from matcher.indexing.outbox import live
from matcher.notify.senders import Message, Sender, digest_key, sender_from_settings
from matcher.store.tables import AccountRow, CandidateRow, NotificationRow, OfferRow, OutboxRow, SavedSearchRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
FREQUENCIES = ("daily", "weekly")


class DigestsIncomplete(TransientError):
    """Some digests could not be sent; they stay recorded and are sent by the next run."""


def period_key(frequency: str, moment: datetime) -> str:
    """``2026-11-26`` (daily) or ``2026-W48`` (weekly), in French local time."""
    local = moment.astimezone(PARIS)
    if frequency == "weekly":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.date().isoformat()


def send_digests(rt: Runtime, *, now: datetime, sender: Sender | None = None) -> dict[str, Any]:
    """Build and send the digests due at ``now``; returns counts. Idempotent within a period."""
    sender = sender or sender_from_settings(rt.settings)
    counts = {"seekers": 0, "digests": 0, "offers": 0, "sent": 0, "failed": 0, "refused": 0}
    until = _indexed_until(rt, now)
    for account, frequency, alerts in _due(rt, now):
        counts["seekers"] += 1
        period = period_key(frequency, now)
        found = _matches(rt, alerts, until)
        if not found:
            continue
        body = _body(period, frequency, found)
        try:
            with rt.store.transaction() as session:
                session.add(NotificationRow(account_id=account.id, period=period, channel=sender.channel, body=body))
                for alert in session.scalars(
                    select(SavedSearchRow).where(SavedSearchRow.id.in_([a.id for a in alerts]))
                ):
                    alert.last_sent_at = until
        except IntegrityError:
            continue  # another run recorded this period's digest first
        counts["digests"] += 1
        counts["offers"] += len({o["id"] for a in body["alerts"] for o in a["offers"]})
    for notification_id, account_id, email, period, body in _unsent(rt):
        try:
            sender.send(_message(account_id, email, period, body))
        except OSError as exc:  # smtplib's errors too
            if not isinstance(exc, smtplib.SMTPException) or is_transient(exc):  # tried again by the next run
                counts["failed"] += 1
                log.warning("digest %s for %s not sent: %s", period, account_id, describe(exc))
                continue
            # Refused for good by the mail server (a bad address): recorded, not tried again; the others go on.
            counts["refused"] += 1
            log.warning("digest %s for %s refused: %s", period, account_id, describe(exc))
            with rt.store.transaction() as session:
                row = session.get(NotificationRow, notification_id)
                if row is not None:
                    row.refused_at, row.refusal = datetime.now(UTC), describe(exc)[:500]
            continue
        with rt.store.transaction() as session:
            row = session.get(NotificationRow, notification_id)
            if row is not None:
                row.sent_at = datetime.now(UTC)
        counts["sent"] += 1
    if counts["failed"]:
        raise DigestsIncomplete(f"{counts['failed']} résumés d'alertes non envoyés")
    return counts


def _indexed_until(rt: Runtime, now: datetime) -> datetime:
    """Offer writes up to this are indexed: the window stops just before the oldest one still in the outbox.

    Bounded by the oldest live ``offer`` outbox row and by the ``updated_at`` of the offers such rows
    are for (written just before their row, in the same transaction), less a microsecond: an offer
    written at that very moment falls in the next window, not in this one.
    """
    with rt.store.read() as session:
        waiting = (live(), OutboxRow.topic == "offer")
        oldest_row = session.scalar(select(func.min(OutboxRow.created_at)).where(*waiting))
        oldest_offer = session.scalar(
            select(func.min(OfferRow.updated_at)).join(OutboxRow, OutboxRow.entity_id == OfferRow.id).where(*waiting)
        )
    bounds = [b for b in (oldest_row, oldest_offer) if b is not None]
    return min(now, min(bounds) - timedelta(microseconds=1)) if bounds else now


def _due(rt: Runtime, now: datetime) -> list[tuple[AccountRow, str, list[SavedSearchRow]]]:
    """(seeker, frequency, alerts) for each active seeker whose alerts of that frequency have a digest due."""
    with rt.store.read() as session:
        rows = session.execute(
            select(SavedSearchRow, AccountRow)
            .join(AccountRow, AccountRow.id == SavedSearchRow.account_id)
            .join(CandidateRow, CandidateRow.id == AccountRow.candidate_id)  # the profile exists (not erased)
            .where(
                SavedSearchRow.kind == "offers",
                SavedSearchRow.frequency.in_(FREQUENCIES),
                AccountRow.role == "seeker",
                AccountRow.disabled.is_(False),
            )
            .order_by(AccountRow.id, SavedSearchRow.id)
        ).all()
        already = {
            (a, p)
            for a, p in session.execute(
                select(NotificationRow.account_id, NotificationRow.period).where(
                    NotificationRow.period.in_([period_key(f, now) for f in FREQUENCIES])
                )
            )
        }
        session.expunge_all()
    groups: dict[tuple[str, str], tuple[AccountRow, list[SavedSearchRow]]] = {}
    for alert, account in rows:
        period = period_key(alert.frequency, now)
        sent = alert.last_sent_at is not None and period_key(alert.frequency, alert.last_sent_at) == period
        if sent or (account.id, period) in already:
            continue
        groups.setdefault((account.id, alert.frequency), (account, []))[1].append(alert)
    return [(account, frequency, alerts) for (_, frequency), (account, alerts) in groups.items()]


Found = list[tuple[SavedSearchRow, list[OfferRow]]]


def _matches(rt: Runtime, alerts: Sequence[SavedSearchRow], until: datetime) -> Found:
    found: Found = []
    if not alerts:
        return found
    sent_before = _sent_offer_ids(rt, alerts[0].account_id)
    for alert in alerts:
        since = alert.last_sent_at or alert.created_at
        indexing = exists().where(live(), OutboxRow.topic == "offer", OutboxRow.entity_id == OfferRow.id)
        with rt.store.read() as session:
            new = {
                r.id: r
                for r in session.scalars(
                    select(OfferRow).where(
                        OfferRow.status == OfferStatus.PUBLISHED.value,
                        OfferRow.updated_at > since,
                        OfferRow.updated_at <= until,
                        ~indexing,
                    )
                )
                if r.id not in sent_before
            }
            session.expunge_all()
        if not new:
            continue
        ids = _search(rt, alert, list(new))
        if ids:
            found.append((alert, [new[i] for i in ids[: rt.settings.digest_max_offers]]))
    return found


def _sent_offer_ids(rt: Runtime, account_id: str) -> set[str]:
    """The offers already listed in this seeker's digests (an edited offer is not new to them)."""
    with rt.store.read() as session:
        bodies = session.scalars(select(NotificationRow.body).where(NotificationRow.account_id == account_id))
        return {o["id"] for body in bodies for a in body.get("alerts", []) for o in a.get("offers", [])}


def _search(rt: Runtime, alert: SavedSearchRow, ids: list[str]) -> list[str]:
    """The offers among ``ids`` that the alert's query and filters match, best first."""
    try:
        filters = SearchFilters.model_validate(alert.filters or {})
        return matching_offer_ids(rt, alert.query.strip(), filters, ids=ids, min_cosine=rt.settings.alert_min_cosine)
    except InvalidInput:
        return []  # a commune that no longer exists: nothing can be near it


def _body(period: str, frequency: str, found: Found) -> dict[str, Any]:
    return {
        "period": period,
        "frequency": frequency,
        "alerts": [
            {
                "id": alert.id,
                "name": alert.name,
                "offers": [
                    {"id": o.id, "title": o.title, "commune_insee": o.commune_insee, "employer_id": o.employer_id}
                    for o in offers
                ],
            }
            for alert, offers in found
        ],
    }


def _unsent(rt: Runtime) -> list[tuple[int, str, str, str, dict[str, Any]]]:
    with rt.store.read() as session:
        return [
            (n.id, n.account_id, email, n.period, dict(n.body))
            for n, email in session.execute(
                select(NotificationRow, AccountRow.email)
                .join(AccountRow, AccountRow.id == NotificationRow.account_id)
                .where(
                    NotificationRow.sent_at.is_(None),
                    NotificationRow.refused_at.is_(None),
                    AccountRow.disabled.is_(False),
                )
                .order_by(NotificationRow.id)
            )
        ]


def _message(account_id: str, email: str, period: str, body: dict[str, Any]) -> Message:
    offers = {o["id"]: o for alert in body["alerts"] for o in alert["offers"]}
    lines = [f"Bonjour,\n\n{len(offers)} nouvelle(s) offre(s) correspondent à vos alertes :\n"]
    for alert in body["alerts"]:
        lines.append(f"\n« {alert['name']} »")
        lines += [f"  - {o['title']} ({o['commune_insee']}) : /offres/{o['id']}" for o in alert["offers"]]
    lines.append("\n\nVous recevez ce message car vous avez créé ces alertes ; modifiez-les depuis votre espace.")
    return Message(
        key=digest_key(account_id, period),
        to=email,
        subject=f"{len(offers)} nouvelle(s) offre(s) pour vos alertes",
        text="\n".join(lines),
        data=body,
    )
