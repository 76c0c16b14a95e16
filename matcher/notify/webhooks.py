"""Signed webhook messages: how we sign them, and how a receiver checks them.

Each request carries::

    X-Matcher-Delivery: dlv_…            the delivery id (also in the body): the receiver's idempotency key
    X-Matcher-Event: shortlist.built
    X-Matcher-Timestamp: 1767225600      Unix seconds when this attempt was signed
    X-Matcher-Signature: v1=<hex>        HMAC-SHA256(secret, f"{timestamp}.{body}")

A receiver recomputes the signature over the raw body, refuses a timestamp outside the tolerance
window (5 minutes), and refuses a message it has already seen (a replay): :class:`Verifier` does all
three. Each retry is signed again with a new timestamp, so a retry is never mistaken for a replay.
The delivery id a receiver gets is the one in the signed body (``delivery_id``): the
``X-Matcher-Delivery`` header is not signed, so a header that disagrees with the body is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Mapping

DELIVERY = "X-Matcher-Delivery"
EVENT = "X-Matcher-Event"
TIMESTAMP = "X-Matcher-Timestamp"
SIGNATURE = "X-Matcher-Signature"
TOLERANCE_S = 300


class SignatureError(ValueError):
    """The message must be refused: bad or missing signature, stale timestamp, or a replay."""


class DestinationRefused(ValueError):
    """A webhook URL we will not send to: not https, or a host that is not a public address."""


class DestinationUnresolved(DestinationRefused):
    """The webhook's host name does not resolve (now): refused when saving, retried when sending."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local, reserved, shared (100.64/10) and unspecified
    return ip.is_global and not ip.is_multicast


def check_destination(url: str, *, allow_private: bool) -> None:
    """Refuse a webhook URL that could reach inside our network (SSRF).

    Only ``https`` is allowed (``http`` too when ``allow_private``), and every address the host
    resolves to must be public (not private, loopback, link-local, reserved or multicast) unless
    ``allow_private`` (local receivers, tests). The check resolves the name itself: a host that
    resolves differently a moment later (DNS rebinding) is not caught here.

    Raises:
        DestinationRefused: the URL may not be used (:class:`DestinationUnresolved`: its host does
            not resolve).
    """
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise DestinationRefused("adresse de webhook illisible") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and allow_private):
        raise DestinationRefused("l'adresse du webhook doit commencer par https://")
    host = parts.hostname
    if not host:
        raise DestinationRefused("l'adresse du webhook ne nomme aucun hôte")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DestinationUnresolved(f"l'hôte du webhook {host!r} est introuvable") from None
    addresses = {str(info[4][0]) for info in infos}
    private = sorted(a for a in addresses if not _is_public(a))
    if not addresses or private:
        raise DestinationRefused(
            f"l'hôte du webhook {host!r} désigne une adresse non publique ({', '.join(private) or 'aucune'})"
        )


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex>``: HMAC-SHA256 with ``secret`` over ``f"{timestamp}.".encode() + body``."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def signed_headers(secret: str, *, delivery_id: str, event: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        DELIVERY: delivery_id,
        EVENT: event,
        TIMESTAMP: str(timestamp),
        SIGNATURE: sign(secret, timestamp, body),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    raise SignatureError(f"en-tête {name} absent")


def _check(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None, tolerance_s: int
) -> tuple[int, str]:
    """:func:`verify`'s checks; returns the timestamp and the signature that matched (``v1=<hex>``)."""
    raw = _header(headers, TIMESTAMP)
    try:
        timestamp = int(raw)
    except ValueError:
        raise SignatureError(f"horodatage illisible : {raw!r}") from None
    expected = sign(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, s.strip()) for s in _header(headers, SIGNATURE).split(",")):
        raise SignatureError("signature invalide")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError(f"horodatage hors de la fenêtre de {tolerance_s} s (rejeu ?)")
    return timestamp, expected


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None, tolerance_s: int = TOLERANCE_S
) -> int:
    """Check a received message; returns its timestamp.

    Raises:
        SignatureError: signature missing or wrong (tampered body, wrong secret), or timestamp outside
            ``tolerance_s`` of ``now``.
    """
    return _check(secret, headers, body, now=now, tolerance_s=tolerance_s)[0]


def signed_delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    """The delivery id of a message whose signature was checked: the body's ``delivery_id``.

    Raises:
        SignatureError: no ``delivery_id`` in the body, or an ``X-Matcher-Delivery`` header that
            names another one (the header is not signed).
    """
    try:
        data = json.loads(body)
    except ValueError:
        raise SignatureError("corps illisible (JSON attendu)") from None
    delivery = data.get("delivery_id") if isinstance(data, dict) else None
    if not isinstance(delivery, str) or not delivery:
        raise SignatureError("delivery_id absent du corps signé")
    for key, value in headers.items():
        if key.lower() == DELIVERY.lower() and value.strip() != delivery:
            raise SignatureError(f"en-tête {DELIVERY} différent du delivery_id signé")
    return delivery


class Verifier:
    """A receiver's check: :func:`verify`, plus a memory of the signatures seen within the window.

    A captured message sent again within the window carries a signature already seen: refused (the
    memory holds the signature that matched, not the raw header, so padding the header with other
    entries does not make it new). Sent later, its timestamp is stale: refused too. The memory thus
    never holds more than one window's worth of messages.
    """

    def __init__(self, secret: str, *, tolerance_s: int = TOLERANCE_S) -> None:
        self.secret = secret
        self.tolerance_s = tolerance_s
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def verify(self, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> str:
        """Check the message and remember it; returns its (signed) delivery id. Raises :class:`SignatureError`."""
        now = time.time() if now is None else now
        timestamp, signature = _check(self.secret, headers, body, now=now, tolerance_s=self.tolerance_s)
        delivery = signed_delivery_id(headers, body)
        with self._lock:
            self._seen = {s: t for s, t in self._seen.items() if abs(now - t) <= self.tolerance_s}
            if signature in self._seen:
                raise SignatureError("message déjà reçu (rejeu)")
            self._seen[signature] = timestamp
        return delivery
