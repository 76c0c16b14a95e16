"""Shortlists delivered to HR: signed, retried with backoff until acknowledged, every attempt recorded."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from matcher import webhooks
from matcher.deliveries import list_deliveries
from matcher.dispatch import dispatch
from matcher.embedding import HashingEmbedder
from matcher.jobs import InProcessRunner, pending_count
from matcher.leases import MemoryLeases
from matcher.runtime import Runtime
from matcher.settings import MatcherSettings
from matcher.store.tables import DeliveryRow
from matcher.tasks import Context
from tests.jobs_support import built_shortlist

SECRET = "s3cret"


class Receiver(ThreadingHTTPServer):
    """An HR system: answers 500 to the first ``failures`` requests, then checks and accepts."""

    def __init__(self, failures: int) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.failures = failures
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.accepted: list[dict] = []
        self.verifier = webhooks.Verifier(SECRET)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/shortlists"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((dict(self.headers), body))
        if len(self.server.requests) <= self.server.failures:
            self.send_response(500)
        else:
            try:
                self.server.verifier.verify(dict(self.headers), body)
            except webhooks.SignatureError:
                self.send_response(401)
            else:
                self.server.accepted.append(json.loads(body))
                self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(failures=3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def fast_rt(tmp_path: Path) -> Iterator[Runtime]:
    settings = MatcherSettings(data_dir=tmp_path, embedder="hashing", task_backoff_s=0.05, task_backoff_max_s=0.2)
    runtime = Runtime.open(settings, embedder=HashingEmbedder())
    runtime.ensure_indices()
    yield runtime
    runtime.close()


def test_sign_and_verify() -> None:
    body = b'{"delivery_id":"dlv_1"}'
    headers = webhooks.signed_headers(SECRET, delivery_id="dlv_1", event="shortlist.built", body=body, timestamp=1000)
    assert webhooks.verify(SECRET, headers, body, now=1100) == 1000
    assert headers[webhooks.SIGNATURE] == webhooks.sign(SECRET, 1000, body)
    lower = {k.lower(): v for k, v in headers.items()}  # header names are case-insensitive
    assert webhooks.verify(SECRET, lower, body, now=1000) == 1000
    for bad_body, secret, now in ((body + b" ", SECRET, 1000), (body, "other", 1000), (body, SECRET, 1301)):
        with pytest.raises(webhooks.SignatureError):
            webhooks.verify(secret, headers, bad_body, now=now)
    forged = {**headers, webhooks.TIMESTAMP: "1250"}  # a fresh timestamp on an old signature
    with pytest.raises(webhooks.SignatureError, match="signature"):
        webhooks.verify(SECRET, forged, body, now=1250)
    with pytest.raises(webhooks.SignatureError, match="absent"):
        webhooks.verify(SECRET, {}, body, now=1000)


def test_the_verifier_refuses_a_replay_but_not_a_retry() -> None:
    verifier = webhooks.Verifier(SECRET)
    body = b'{"delivery_id":"dlv_1"}'
    first = webhooks.signed_headers(SECRET, delivery_id="dlv_1", event="e", body=body, timestamp=1000)
    assert verifier.verify(first, body, now=1001) == "dlv_1"
    with pytest.raises(webhooks.SignatureError, match="rejeu"):
        verifier.verify(first, body, now=1002)
    retry = webhooks.signed_headers(SECRET, delivery_id="dlv_1", event="e", body=body, timestamp=1010)
    assert verifier.verify(retry, body, now=1011) == "dlv_1"  # a retry is signed anew
    with pytest.raises(webhooks.SignatureError, match="fenêtre"):
        verifier.verify(first, body, now=2000)  # later on, the stale timestamp refuses it


def test_a_padded_signature_header_or_a_forged_delivery_id_is_refused() -> None:
    verifier = webhooks.Verifier(SECRET)
    body = b'{"delivery_id":"dlv_1"}'
    first = webhooks.signed_headers(SECRET, delivery_id="dlv_1", event="e", body=body, timestamp=1000)
    assert verifier.verify(first, body, now=1001) == "dlv_1"
    padded = {**first, webhooks.SIGNATURE: first[webhooks.SIGNATURE] + ",x"}  # same digest, new raw header
    with pytest.raises(webhooks.SignatureError, match="rejeu"):
        verifier.verify(padded, body, now=1002)
    with pytest.raises(webhooks.SignatureError, match="rejeu"):
        verifier.verify({**first, webhooks.SIGNATURE: "v1=00, " + first[webhooks.SIGNATURE]}, body, now=1002)
    # A fresh, genuine message whose (unsigned) delivery header is swapped: refused, never another id.
    retry = webhooks.signed_headers(SECRET, delivery_id="dlv_1", event="e", body=body, timestamp=1010)
    with pytest.raises(webhooks.SignatureError, match="delivery_id"):
        webhooks.Verifier(SECRET).verify({**retry, webhooks.DELIVERY: "dlv_forged"}, body, now=1011)
    without_header = {k: v for k, v in retry.items() if k != webhooks.DELIVERY}
    assert webhooks.Verifier(SECRET).verify(without_header, body, now=1011) == "dlv_1"  # the id comes from the body


def test_a_receiver_failing_three_times_gets_the_shortlist_once_signed(fast_rt: Runtime, receiver: Receiver) -> None:
    shortlist_id = built_shortlist(fast_rt, webhook_url=receiver.url)
    runner = InProcessRunner(fast_rt)
    runner.kick()  # dispatch: index the offer, owe the delivery, first try (500), retries on timers
    deadline = time.monotonic() + 15
    while not receiver.accepted and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # nothing more may arrive
    assert len(receiver.requests) == 4 and len(receiver.accepted) == 1
    payload = receiver.accepted[0]
    assert payload["shortlist_id"] == shortlist_id and payload["event"] == "shortlist.built"
    assert [(e["candidate_id"], e["rank"]) for e in payload["entries"]] == [("cand_a", 1), ("cand_b", 2)]
    assert set(payload["entries"][0]) == {"candidate_id", "rank", "score"}  # no explanation, no personal data
    with fast_rt.store.read() as session:
        [delivery] = list_deliveries(session, employer_ids=[payload["employer_id"]])
    assert delivery.status == "delivered" and delivery.attempts == 4
    assert [a.status_code for a in delivery.history] == [500, 500, 500, 204]
    assert pending_count(fast_rt) == 0

    # A captured request sent again is refused; so is a tampered one.
    headers, body = receiver.requests[-1]
    with pytest.raises(webhooks.SignatureError):
        receiver.verifier.verify(headers, body)
    tampered = body.replace(b'"rank":1', b'"rank":9')
    with pytest.raises(webhooks.SignatureError, match="signature"):
        webhooks.Verifier(SECRET).verify(headers, tampered)


def test_the_delivery_is_owed_once_and_only_with_a_webhook(fast_rt: Runtime) -> None:
    built_shortlist(fast_rt, webhook_url="http://127.0.0.1:9/unreachable")
    submitted: list[tuple[str, list]] = []

    class Recorder:
        def submit(self, name: str, args: list) -> None:
            submitted.append((name, args))

    leases = MemoryLeases()
    ctx = Context(rt=fast_rt, executor=Recorder(), leases=leases)
    first = dispatch(ctx)
    again = dispatch(Context(rt=fast_rt, executor=Recorder(), leases=leases))
    assert first["deliveries"] == 1 and again["deliveries"] == 0 and again["rows"] == 0
    assert [name for name, _ in submitted] == ["matcher.index_outbox", "matcher.deliver_webhook"]
    with fast_rt.store.read() as session:
        assert len(list(session.scalars(select(DeliveryRow)))) == 1


def test_no_webhook_no_delivery(fast_rt: Runtime) -> None:
    built_shortlist(fast_rt, webhook_url=None)
    InProcessRunner(fast_rt).kick()
    with fast_rt.store.read() as session:
        assert list(session.scalars(select(DeliveryRow))) == []
    assert pending_count(fast_rt) == 0
