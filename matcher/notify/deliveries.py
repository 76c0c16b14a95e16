"""Shortlists delivered to HR: a signed webhook message per built shortlist, retried until acknowledged.

The message owed is a :class:`DeliveryRow`, written in the same transaction that marks the
``shortlist`` outbox row done, so it exists exactly once. Each try is recorded
(:class:`DeliveryAttemptRow`); a 2xx answer acknowledges it. The body names ids, ranks and scores
only: no name or other personal data leaves through a webhook.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.access.accounts import Principal
from matcher.core.errors import NotFound
from matcher.core.models import MAX_PAGE
from matcher.core.retry import TransientError, backoff_s
from matcher.notify import webhooks
from matcher.store.tables import DeliveryAttemptRow, DeliveryRow, EmployerRow, ShortlistRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

SHORTLIST_BUILT = "shortlist.built"


class DeliveryFailed(TransientError):
    """The receiver did not acknowledge (no answer, or not 2xx): try again later."""


class DeliveryRefused(Exception):
    """Permanent: the delivery cannot be sent as configured (no signing secret, a refused URL); not retried."""


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the addresses checked, never resolving the host name again (DNS rebinding).

    The Host header still names the host; with TLS (:class:`_PinnedHTTPSConnection`) so do the SNI and
    the certificate check, since :class:`http.client.HTTPSConnection` wraps the socket for ``self.host``.
    """

    def __init__(self, host: str, port: int, *, addresses: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)
        self._addresses = addresses
        self._create_connection = self._connect_pinned  # http.client's own hook for opening the socket

    def _connect_pinned(self, address: tuple[str, int], timeout: Any, source: Any = None) -> socket.socket:
        if not self._addresses:  # private receivers allowed (local use): by name
            return socket.create_connection(address, timeout, source)
        failure: OSError | None = None
        for pinned in self._addresses:
            try:
                return socket.create_connection((pinned, address[1]), timeout, source)
            except OSError as exc:
                failure = exc
        raise failure or OSError("aucune adresse")


class _PinnedHTTPSConnection(_PinnedHTTPConnection, http.client.HTTPSConnection):
    pass


def post(
    destination: webhooks.Destination,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    context: ssl.SSLContext | None = None,
) -> int:
    """POST to a checked destination; the answer's status. A 3xx is an answer, never followed (following
    it would skip :func:`webhooks.check_destination`). ``context``: TLS settings (default: the system's
    trusted certificates, the host name checked)."""
    kind = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    tls = context or ssl.create_default_context()
    extra = {"context": tls} if destination.scheme == "https" else {}
    connection = kind(destination.host, destination.port, addresses=destination.addresses, timeout=timeout, **extra)
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # what the receiver says matters not; only so much of it is read
        return response.status
    finally:
        connection.close()


class DeliveryAttempt(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class Delivery(BaseModel):
    id: str
    employer_id: str
    event: str
    subject_id: str
    url: str
    status: str  # pending | delivered | dead
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    history: list[DeliveryAttempt]


def delivery_id(event: str, subject_id: str) -> str:
    """Deterministic: dispatching the same outbox row twice cannot owe two messages."""
    return "dlv_" + hashlib.sha256(f"{event}:{subject_id}".encode()).hexdigest()[:24]


def shortlist_body(row: ShortlistRow, delivery: str) -> str:
    entries = sorted(row.entries, key=lambda e: e.get("rank", 0))
    return json.dumps(
        {
            "delivery_id": delivery,
            "event": SHORTLIST_BUILT,
            "shortlist_id": row.id,
            "offer_id": row.offer_id,
            "employer_id": row.employer_id,
            "built_at": row.built_at.isoformat(),
            "entries": [{"candidate_id": e["candidate_id"], "rank": e["rank"], "score": e["score"]} for e in entries],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def owe_shortlist(session: Session, *, shortlist_id: str) -> str | None:
    """Add the delivery of a built shortlist when its employer has a webhook; returns its id (None: none owed)."""
    shortlist = session.get(ShortlistRow, shortlist_id)
    if shortlist is None:
        return None  # erased since: nothing to say
    employer = session.get(EmployerRow, shortlist.employer_id)
    if employer is None or not employer.webhook_url or not employer.webhook_secret:
        return None
    identifier = delivery_id(SHORTLIST_BUILT, shortlist_id)
    if session.get(DeliveryRow, identifier) is None:
        session.add(
            DeliveryRow(
                id=identifier,
                employer_id=employer.id,
                event=SHORTLIST_BUILT,
                subject_id=shortlist_id,
                url=employer.webhook_url,
                body=shortlist_body(shortlist, identifier),
                status="pending",
                attempts=0,
            )
        )
    return identifier


def owe_event(
    session: Session, *, employer_id: str, event: str, subject_id: str, payload: dict[str, object]
) -> str | None:
    """Add a signed message of any event type (e.g. ``approach.answered``) when the employer has a webhook.

    ``payload`` names ids and states only, never personal data; returns the delivery id (None: none owed).
    """
    employer = session.get(EmployerRow, employer_id)
    if employer is None or not employer.webhook_url or not employer.webhook_secret:
        return None
    identifier = delivery_id(event, subject_id)
    if session.get(DeliveryRow, identifier) is None:
        body = json.dumps(
            {"delivery_id": identifier, "event": event, "employer_id": employer_id, **payload},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        session.add(
            DeliveryRow(
                id=identifier,
                employer_id=employer_id,
                event=event,
                subject_id=subject_id,
                url=employer.webhook_url,
                body=body,
                status="pending",
                attempts=0,
            )
        )
    return identifier


def attempt_delivery(rt: Runtime, *, delivery: str, now: datetime | None = None) -> str:
    """Send one delivery once; returns its status. Already delivered (or dead): nothing is sent.

    Raises:
        DeliveryFailed: no 2xx answer; the attempt is recorded and ``next_attempt_at`` set.
        DeliveryRefused: permanent (no signing secret, or a URL :func:`webhooks.check_destination`
            refuses); the attempt is recorded, nothing is sent, it goes to the dead letters.
    """
    with rt.store.read() as session:
        row = session.get(DeliveryRow, delivery)
        if row is None or row.status != "pending":
            return row.status if row else "absent"
        employer = session.get(EmployerRow, row.employer_id)
        secret = employer.webhook_secret if employer else None
        url, event, body = row.url, row.event, row.body.encode()
    if not secret:
        missing = f"employeur {row.employer_id} sans secret de signature"
        _record(rt, delivery, None, missing, 0.0, False, now, final=True)
        raise DeliveryRefused(f"livraison {delivery} impossible : {missing}")
    try:
        destination = webhooks.check_destination(url, allow_private=rt.settings.webhook_allow_private)
    except webhooks.DestinationUnresolved as exc:  # DNS may answer later: retried like a receiver out of reach
        _record(rt, delivery, None, str(exc), 0.0, False, now)
        raise DeliveryFailed(f"livraison {delivery} non envoyée : {exc}") from None
    except webhooks.DestinationRefused as exc:
        _record(rt, delivery, None, f"destination refusée : {exc}", 0.0, False, now, final=True)
        raise DeliveryRefused(f"livraison {delivery} refusée : {exc}") from None
    timestamp = int(time.time())
    headers = webhooks.signed_headers(secret, delivery_id=delivery, event=event, body=body, timestamp=timestamp)
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        status = post(destination, body, headers, timeout=rt.settings.webhook_timeout_s)
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except (OSError, ValueError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
    acknowledged = status is not None and 200 <= status < 300
    _record(rt, delivery, status, error, (time.perf_counter() - started) * 1000, acknowledged, now)
    if not acknowledged:
        raise DeliveryFailed(f"livraison {delivery} non acquittée : {error or status}")
    return "delivered"


def _record(
    rt: Runtime,
    delivery: str,
    status: int | None,
    error: str | None,
    ms: float,
    ok: bool,
    now: datetime | None,
    *,
    final: bool = False,
) -> None:
    now = now or datetime.now(UTC)
    with rt.store.transaction() as session:
        row = session.get(DeliveryRow, delivery)
        if row is None:
            return
        session.add(
            DeliveryAttemptRow(delivery_id=delivery, at=now, status_code=status, error=error, duration_ms=round(ms, 1))
        )
        row.attempts += 1
        if ok:
            row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
        elif final:
            row.status, row.next_attempt_at = "dead", None  # no retry (its task goes to the dead letters)
        else:
            delay = backoff_s(row.attempts - 1, base_s=rt.settings.task_backoff_s, max_s=rt.settings.task_backoff_max_s)
            row.next_attempt_at = datetime.fromtimestamp(now.timestamp() + delay, UTC)


def mark_dead(session: Session, delivery: str) -> None:
    """``dead`` when the retries are spent, in the caller's transaction (a replay: :func:`make_pending`)."""
    row = session.get(DeliveryRow, delivery)
    if row is not None and row.status != "delivered":
        row.status = "dead"
        row.next_attempt_at = None


def make_pending(session: Session, delivery: str) -> None:
    """``pending`` again (an admin replays it), in the caller's transaction; a delivered one stays delivered."""
    row = session.get(DeliveryRow, delivery)
    if row is not None and row.status != "delivered":
        row.status, row.next_attempt_at = "pending", None


def overdue(rt: Runtime, *, older_than: datetime, limit: int = 500) -> list[str]:
    """Pending deliveries whose next try should have happened by ``older_than`` (its task was lost)."""
    with rt.store.read() as session:
        return list(
            session.scalars(
                select(DeliveryRow.id)
                .where(
                    DeliveryRow.status == "pending",
                    func.coalesce(DeliveryRow.next_attempt_at, DeliveryRow.created_at) < older_than,
                )
                .order_by(DeliveryRow.created_at)
                .limit(limit)
            )
        )


def list_deliveries(session: Session, *, employer_ids: list[str], limit: int = 50, offset: int = 0) -> list[Delivery]:
    """Deliveries of these employers, newest first, each with its attempts (for the HR API)."""
    rows = list(
        session.scalars(
            select(DeliveryRow)
            .where(DeliveryRow.employer_id.in_(employer_ids))
            .order_by(DeliveryRow.created_at.desc(), DeliveryRow.id)
            .limit(min(limit, MAX_PAGE))
            .offset(offset)
        )
    )
    attempts: dict[str, list[DeliveryAttempt]] = {r.id: [] for r in rows}
    for a in session.scalars(
        select(DeliveryAttemptRow)
        .where(DeliveryAttemptRow.delivery_id.in_(list(attempts)))
        .order_by(DeliveryAttemptRow.id)
    ):
        attempts[a.delivery_id].append(
            DeliveryAttempt(at=a.at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms)
        )
    return [
        Delivery(
            id=r.id,
            employer_id=r.employer_id,
            event=r.event,
            subject_id=r.subject_id,
            url=r.url,
            status=r.status,
            attempts=r.attempts,
            next_attempt_at=r.next_attempt_at,
            created_at=r.created_at,
            delivered_at=r.delivered_at,
            history=attempts[r.id],
        )
        for r in rows
    ]


def deliveries_for(
    rt: Runtime, *, principal: Principal, employer_id: str | None = None, limit: int = 50, offset: int = 0
) -> list[Delivery]:
    """Deliveries of one employer the principal acts for, or (``employer_id`` None) of all of them.

    Raises:
        NotFound: an employer that does not exist or that the principal does not act for.
    """
    with rt.store.read() as session:
        employer_ids = _scope(session, principal, employer_id)
        return list_deliveries(session, employer_ids=employer_ids, limit=limit, offset=offset)


def _scope(session: Session, principal: Principal, employer_id: str | None) -> list[str]:
    if employer_id is None:
        return sorted(principal.employer_ids)
    if session.get(EmployerRow, employer_id) is None or not principal.may_act_for(employer_id):
        raise NotFound("employeur", employer_id)
    return [employer_id]


@dataclass(frozen=True)
class DeliveryPage:
    """A page of deliveries with the names of the employers they were sent for (the recruiters' page)."""

    deliveries: list[Delivery]
    employers: dict[str, str]  # employer id -> name


def delivery_page(
    rt: Runtime, *, principal: Principal, employer_id: str | None = None, limit: int = 50, offset: int = 0
) -> DeliveryPage:
    """:func:`deliveries_for` with the employers' names, in one read session.

    Raises:
        NotFound: an employer that does not exist or that the principal does not act for.
    """
    with rt.store.read() as session:
        items = list_deliveries(
            session, employer_ids=_scope(session, principal, employer_id), limit=limit, offset=offset
        )
        query = select(EmployerRow.id, EmployerRow.name).where(EmployerRow.id.in_({d.employer_id for d in items}))
        return DeliveryPage(deliveries=items, employers={i: name for i, name in session.execute(query)})
