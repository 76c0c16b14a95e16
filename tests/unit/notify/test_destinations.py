"""Webhook destinations (SSRF): addresses that lead inside are refused, embedded IPv4 included, and the
address checked is the one connected to (no DNS rebinding), with the host name kept for Host and TLS."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from matcher.notify import deliveries, webhooks


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
        "https://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
        "https://[64:ff9b:1::808:808]/hook",  # local-use NAT64
        "https://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
        "https://[2002:a9fe:a9fe::1]/hook",  # 6to4 of 169.254.169.254 (cloud metadata)
        "https://[::7f00:1]/hook",  # IPv4-compatible 127.0.0.1
        "https://[::a9fe:a9fe]/hook",  # IPv4-compatible 169.254.169.254
        "https://[::ffff:a00:1]/hook",  # IPv4-mapped 10.0.0.1
        "https://[2001::1]/hook",  # Teredo
        "https://[fec0::1]/hook",  # site-local
        "https://[ff02::1]/hook",  # multicast
        "https://[::]/hook",
        "https://192.0.0.8/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://198.18.0.1/hook",  # benchmarking
        "https://239.1.2.3/hook",  # multicast
        "https://240.0.0.1/hook",  # reserved
        "https://192.0.2.10/hook",  # documentation
        "https://2130706433/hook",  # 127.0.0.1 written as one number
    ],
)
def test_addresses_leading_inside_are_refused(url: str) -> None:
    with pytest.raises(webhooks.DestinationRefused):
        webhooks.check_destination(url, allow_private=False)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://93.184.216.34/hook", "93.184.216.34"),
        ("https://[2606:4700:4700::1111]/hook", "2606:4700:4700::1111"),
        ("https://[64:ff9b::5db8:d822]/hook", "64:ff9b::5db8:d822"),  # NAT64 of a public address
    ],
)
def test_public_addresses_are_kept_as_the_place_to_connect(url: str, address: str) -> None:
    destination = webhooks.check_destination(url, allow_private=False)
    assert destination.addresses == (address,) and destination.port == 443 and destination.target == "/hook"


def _resolving(monkeypatch: pytest.MonkeyPatch, answers: list[list[str]]) -> list[str]:
    """Make the resolver answer each call with the next list of addresses; returns the names asked."""
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:  # type: ignore[type-arg]
        asked.append(host)
        addresses = answers[min(len(asked), len(answers)) - 1]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_name_resolving_to_an_embedded_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving(monkeypatch, [["93.184.216.34", "::ffff:127.0.0.1"]])
    with pytest.raises(webhooks.DestinationRefused, match=r"::ffff:127\.0\.0\.1"):
        webhooks.check_destination("https://hooks.example.fr/x", allow_private=False)


def test_the_checked_address_is_the_one_connected_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name answers a public address to the check, then 127.0.0.1 to whoever asks again."""
    asked = _resolving(monkeypatch, [["93.184.216.34"], ["127.0.0.1"]])
    destination = webhooks.check_destination("https://hooks.example.fr/x?a=1", allow_private=False)
    connected: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        connected.append(address)
        raise ConnectionRefusedError("not in the tests")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(ConnectionRefusedError):
        deliveries.post(destination, b"{}", {}, timeout=1)
    assert connected == [("93.184.216.34", 443)] and asked == ["hooks.example.fr"]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.hosts.append(self.headers["Host"])  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[HTTPServer, Path, list[str]]]:
    """An HTTPS receiver on 127.0.0.1 whose certificate names hooks.example.test; records SNI and Host."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=hooks.example.test",
         "-addext", "subjectAltName=DNS:hooks.example.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    server.hosts = []  # type: ignore[attr-defined]
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name or "")  # type: ignore[assignment,func-returns-value]
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, cert, names
    server.shutdown()
    server.server_close()


def test_the_name_still_carries_host_sni_and_the_certificate_check(
    tls_receiver: tuple[HTTPServer, Path, list[str]],
) -> None:
    server, cert, names = tls_receiver
    port = server.server_address[1]
    trusting = ssl.create_default_context(cafile=str(cert))
    pinned = webhooks.Destination("https", "hooks.example.test", port, "/x", ("127.0.0.1",))
    assert deliveries.post(pinned, b"{}", {}, timeout=5, context=trusting) == 204
    assert names == ["hooks.example.test"] and server.hosts == [f"hooks.example.test:{port}"]  # type: ignore[attr-defined]
    # The same address under a name its certificate does not bear: refused by the certificate check.
    other = webhooks.Destination("https", "other.example.test", port, "/x", ("127.0.0.1",))
    with pytest.raises(ssl.SSLCertVerificationError):
        deliveries.post(other, b"{}", {}, timeout=5, context=trusting)
