"""Job seekers' alert digests: one message per seeker per period listing the new offers their alerts match.

An alert is a saved search of kind ``offers`` (query text, filters, frequency ``daily`` or ``weekly``).
A digest goes out at most once per period (a day, an ISO week; the notifications' unique index on
(account, period) holds it even against two concurrent runs), only to an active seeker account whose
profile still exists, and only when something new matched. New offers are the published offers
created since the alert's last digest and already indexed; they are matched with the search backend
(hybrid BM25 + kNN, restricted to those offers and to the alert's filters).

The notification row is written before sending; a message whose sending failed keeps ``sent_at``
empty and is sent again by the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from indices.hybrid import hybrid_search
from indices.protocol import Filter, GeoDistance, Ids, Terms
from matcher.domain import OfferStatus
from matcher.retry import TransientError
from matcher.runtime import OFFERS, Runtime
from matcher.senders import Message, Sender, sender_from_settings
from matcher.store.tables import AccountRow, CandidateRow, NotificationRow, OfferRow, OutboxRow, SavedSearchRow

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
FREQUENCIES = ("daily", "weekly")
DEFAULT_RADIUS_KM = 30.0


class DigestsIncomplete(TransientError):
    """Some digests could not be sent; they stay recorded and are sent by the next run."""


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def period_key(frequency: str, moment: datetime) -> str:
    """``2026-11-26`` (daily) or ``2026-W48`` (weekly), in French local time."""
    local = aware(moment).astimezone(PARIS)
    if frequency == "weekly":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.date().isoformat()


def send_digests(rt: Runtime, *, now: datetime, sender: Sender | None = None) -> dict[str, Any]:
    """Build and send the digests due at ``now``; returns counts. Idempotent within a period."""
    sender = sender or sender_from_settings(rt.settings)
    counts = {"seekers": 0, "digests": 0, "offers": 0, "sent": 0, "failed": 0}
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
        except OSError as exc:
            counts["failed"] += 1
            log.warning("digest %s for %s not sent: %s", period, account_id, exc)
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
    """Offers created before this are indexed: the oldest offer still waiting in the outbox bounds the window."""
    with rt.store.read() as session:
        oldest = session.scalar(
            select(OutboxRow.created_at)
            .where(OutboxRow.processed_at.is_(None), OutboxRow.topic == "offer")
            .order_by(OutboxRow.id)
            .limit(1)
        )
    return min(now, aware(oldest)) if oldest else now


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
    for alert in alerts:
        since = aware(alert.last_sent_at or alert.created_at)
        with rt.store.read() as session:
            new = {
                r.id: r
                for r in session.scalars(
                    select(OfferRow).where(
                        OfferRow.status == OfferStatus.PUBLISHED.value,
                        OfferRow.created_at > since,
                        OfferRow.created_at <= until,
                    )
                )
            }
            session.expunge_all()
        if not new:
            continue
        ids = _search(rt, alert, list(new))
        if ids:
            found.append((alert, [new[i] for i in ids[: rt.settings.digest_max_offers]]))
    return found


def _search(rt: Runtime, alert: SavedSearchRow, ids: list[str]) -> list[str]:
    """The offers among ``ids`` that the alert's query and filters match, best first."""
    filters: list[Filter] = [Ids(tuple(ids)), Terms("status", (OfferStatus.PUBLISHED.value,))]
    spec = alert.filters or {}
    if spec.get("rome_codes"):
        filters.append(Terms("rome_code", tuple(spec["rome_codes"])))
    if spec.get("contract_types"):
        filters.append(Terms("contract_types", tuple(spec["contract_types"])))
    if spec.get("commune_insee"):
        commune = rt.geography.get(spec["commune_insee"])
        if commune is None:
            return []
        filters.append(GeoDistance(((commune.lat, commune.lon),), float(spec.get("radius_km") or DEFAULT_RADIUS_KM)))
    text = alert.query.strip()
    vector = rt.embedder.embed([text or alert.name])[0]
    hits = hybrid_search(rt.backend, OFFERS, text=text, vector=vector, filters=filters, k=len(ids), depth=len(ids))
    if not text:
        return [h.id for h in hits]  # filters only: every new offer they keep
    return [h.id for h in hits if h.bm25 is not None or (h.cosine or 0.0) >= rt.settings.alert_min_cosine]


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
                .where(NotificationRow.sent_at.is_(None), AccountRow.disabled.is_(False))
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
        key=f"digest-{account_id}-{period}",
        to=email,
        subject=f"{len(offers)} nouvelle(s) offre(s) pour vos alertes",
        text="\n".join(lines),
        data=body,
    )
