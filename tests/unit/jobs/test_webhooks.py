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

from matcher.core.retry import Dead
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.jobs.context import Context
from matcher.jobs.dispatch import dispatch
from matcher.jobs.leases import MemoryLeases
from matcher.jobs.runner import InProcessRunner, pending_count
from matcher.jobs.tasks import run_job
from matcher.notify import webhooks
from matcher.notify.deliveries import list_deliveries
from matcher.runtime import Runtime
from matcher.store.tables import DeliveryRow, EmployerRow
from tests.factories import built_shortlist

pytestmark = pytest.mark.both_stores  # also on PostgreSQL (tests/conftest.py)

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
    settings = MatcherSettings(
        data_dir=tmp_path,
        embedder="hashing",
        task_backoff_s=0.05,
        task_backoff_max_s=0.2,
        webhook_allow_private=True,  # the receivers here listen on 127.0.0.1
    )
    runtime = Runtime.open(settings, embedder=HashingEmbedder())
    runtime.ensure_indices()
    yield runtime
    runtime.close()


@pytest.fixture
def strict_rt(tmp_path: Path) -> Iterator[Runtime]:
    """The default: webhooks only over https to public addresses."""
    runtime = Runtime.open(MatcherSettings(data_dir=tmp_path, embedder="hashing"), embedder=HashingEmbedder())
    runtime.ensure_indices()
    yield runtime
    runtime.close()


class Recorder:
    def __init__(self) -> None:
        self.submitted: list[tuple[str, list]] = []

    def submit(self, name: str, args: list) -> None:
        self.submitted.append((name, args))


def _deliver_once(rt: Runtime) -> tuple[object, str]:
    """Dispatch (owes the delivery), then one try of its task; returns the outcome and the delivery id."""
    recorder = Recorder()
    ctx = Context(rt=rt, executor=recorder, leases=MemoryLeases())
    dispatch(ctx)
    [(name, args)] = [(n, a) for n, a in recorder.submitted if n == "matcher.deliver_webhook"]
    return run_job(ctx, name, args, attempt=0), args[0]


def test_check_destination_refuses_what_could_reach_inside() -> None:
    for url in (
        "http://93.184.216.34/hook",  # not https
        "ftp://93.184.216.34/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.1/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fe80::1]/hook",
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https:///hook",
    ):
        with pytest.raises(webhooks.DestinationRefused):
            webhooks.check_destination(url, allow_private=False)
    webhooks.check_destination("https://93.184.216.34/hook", allow_private=False)  # a public address
    webhooks.check_destination("http://127.0.0.1:9/hook", allow_private=True)
    with pytest.raises(webhooks.DestinationRefused, match="https"):
        webhooks.check_destination("ftp://127.0.0.1/hook", allow_private=True)


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


def test_a_refused_destination_fails_at_once_recorded_not_retried(strict_rt: Runtime) -> None:
    built_shortlist(strict_rt, webhook_url="http://127.0.0.1:9/hook")  # saved before the check existed
    outcome, delivery = _deliver_once(strict_rt)
    assert isinstance(outcome, Dead) and "refusée" in outcome.error
    with strict_rt.store.read() as session:
        owed = session.get(DeliveryRow, delivery)
        assert owed is not None
        [row] = list_deliveries(session, employer_ids=[owed.employer_id])
    assert row.status == "dead" and row.attempts == 1 and row.next_attempt_at is None
    assert row.history[0].status_code is None and "destination refusée" in (row.history[0].error or "")


def test_an_employer_without_a_secret_fails_at_once_recorded_not_retried(fast_rt: Runtime) -> None:
    built_shortlist(fast_rt, webhook_url="http://127.0.0.1:9/hook")
    recorder = Recorder()
    ctx = Context(rt=fast_rt, executor=recorder, leases=MemoryLeases())
    dispatch(ctx)
    [args] = [a for n, a in recorder.submitted if n == "matcher.deliver_webhook"]
    with fast_rt.store.transaction() as session:  # the secret is removed once the delivery is owed
        row = session.get(DeliveryRow, args[0])
        assert row is not None
        employer_row = session.get(EmployerRow, row.employer_id)
        assert employer_row is not None
        employer_row.webhook_secret = None
    outcome = run_job(ctx, "matcher.deliver_webhook", args, attempt=0)
    assert isinstance(outcome, Dead) and "secret" in outcome.error
    with fast_rt.store.read() as session:
        row = session.get(DeliveryRow, args[0])
        assert row is not None and row.status == "dead" and row.attempts == 1 and row.next_attempt_at is None
