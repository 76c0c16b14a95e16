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
from dataclasses import dataclass

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


# Never a webhook destination, whatever Python's ``is_global`` says (it calls several of these public).
_BLOCKED = tuple(
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT (shared address space)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local (cloud metadata)
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/128",
        "::1/128",
        "64:ff9b:1::/48",  # NAT64, local use: translates into the operator's own network
        "100::/64",  # discard
        "2001::/32",  # Teredo: the client's IPv4 is hidden (obfuscated) in it
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated, still routed inside some networks)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and reaches: IPv4-mapped, IPv4-compatible, NAT64 or 6to4."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _IPV4_COMPATIBLE or ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    return None


def is_public(address: str) -> bool:
    """Whether an address (IPv4 or IPv6, with or without a zone) lies on the public internet.

    An IPv6 address that embeds an IPv4 one is judged by the IPv4 address it leads to, so
    ``::ffff:127.0.0.1``, ``::7f00:1``, ``64:ff9b::a00:1`` or ``2002:7f00:1::`` are as private as
    127.0.0.1 or 10.0.0.1.
    """
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (inner := embedded_ipv4(ip)) is not None:
        ip = inner  # "::" and "::1" lead to 0.0.0.0 and 0.0.0.1: "this network", refused below
    if any(ip in block for block in _BLOCKED if block.version == ip.version):
        return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


@dataclass(frozen=True)
class Destination:
    """A webhook URL as checked: where to connect (``addresses``, all public unless private ones are
    allowed; empty: connect by name) and what to say (``host`` for the Host header and TLS)."""

    scheme: str
    host: str
    port: int
    target: str  # path and query
    addresses: tuple[str, ...]


def check_destination(url: str, *, allow_private: bool) -> Destination:
    """Refuse a webhook URL that could reach inside our network (SSRF); return where to connect.

    Only ``https`` is allowed (``http`` too when ``allow_private``), and every address the host
    resolves to must be public (not private, loopback, link-local, shared, reserved, documentation,
    multicast, nor an IPv6 address leading to one of those) unless ``allow_private`` (local
    receivers, tests). The sender connects to the addresses checked here, never resolving the name
    again, so a host that resolves differently a moment later (DNS rebinding) changes nothing; the
    Host header and the TLS certificate check still use the name.

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
    port = port or (443 if scheme == "https" else 80)
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    if allow_private:
        return Destination(scheme, host, port, target, ())
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DestinationUnresolved(f"l'hôte du webhook {host!r} est introuvable") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    private = sorted(a for a in addresses if not is_public(a))
    if not addresses or private:
        raise DestinationRefused(
            f"l'hôte du webhook {host!r} désigne une adresse non publique ({', '.join(private) or 'aucune'})"
        )
    return Destination(scheme, host, port, target, tuple(addresses))


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
