"""Two API processes against one PostgreSQL and one Redis: limits and idempotency hold across them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis

from matcher.access import accounts
from matcher.access.accounts import AccountIn, PartnerIn, Role
from matcher.catalog.employers import create_employer
from matcher.core.models import EmployerIn, EmployerKind
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.runtime import Runtime
from tests.conftest import require_service
from tests.factories import PASSWORD, offer_body

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[2]
PER_MINUTE = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def world(postgres_url: str, tmp_path: Path) -> Iterator[dict[str, object]]:
    redis_url = require_service("MATCHER_TEST_REDIS_URL", "Redis")
    redis.Redis.from_url(redis_url).flushdb()
    settings = MatcherSettings(data_dir=tmp_path / "seed", database_url=postgres_url, embedder="hashing")
    rt = Runtime.open(settings, embedder=HashingEmbedder())
    with rt.store.transaction() as session:
        employer = create_employer(session, data=EmployerIn(name="Commune de Privas", kind=EmployerKind.COMMUNE)).id
        accounts.create_account(
            session,
            data=AccountIn(
                email="rh@privas.example.fr", name="RH", role=Role.RECRUITER, password=PASSWORD, employer_ids=[employer]
            ),
        )
        partner = accounts.create_partner(session, data=PartnerIn(name="Agence", employer_ids=[employer]))
        key = accounts.issue_key(session, partner_id=partner.id, label="tests").key
    rt.close()
    env = {
        **os.environ,
        "MATCHER_DATABASE_URL": postgres_url,
        "MATCHER_BROKER_URL": redis_url,  # writes go to Celery (no worker here: they wait in the queue)
        "MATCHER_EMBEDDER": "hashing",
        "MATCHER_AUTH_SECRET": "two-processes-test-secret",
        "MATCHER_RATE_LIMIT_PER_MINUTE": str(PER_MINUTE),
        "MATCHER_LOG_FORMAT": "text",
    }
    servers, urls, logs = [], [], []
    for n in range(2):
        port = free_port()
        logs.append(tmp_path / f"api-{n}.log")
        with logs[-1].open("wb") as log:  # a file, not a pipe: a full pipe would block the server
            servers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port)],
                    cwd=ROOT,
                    env={**env, "MATCHER_DATA_DIR": str(tmp_path / f"api-{n}")},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 180
        for server, url, log_file in zip(servers, urls, logs, strict=True):
            while True:
                assert server.poll() is None, log_file.read_text(errors="replace")[-3000:]
                try:
                    if httpx.get(f"{url}/health", timeout=5).status_code in (200, 503):
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "API process not ready"
                time.sleep(0.5)
        yield {"urls": urls, "key": key, "employer": employer}
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def test_one_rate_limit_across_two_processes(world: dict[str, object]) -> None:
    a, b = world["urls"]  # type: ignore[misc]
    headers = {"X-API-Key": str(world["key"])}
    statuses = [httpx.get(f"{(a, b)[n % 2]}/offers", headers=headers, timeout=10) for n in range(2 * PER_MINUTE)]
    allowed = sum(r.status_code == 200 for r in statuses)
    limited = [r for r in statuses if r.status_code == 429]
    # One bucket of PER_MINUTE for the key, whichever process answers (each alone would allow PER_MINUTE).
    assert PER_MINUTE <= allowed <= PER_MINUTE + 2, [(r.status_code, r.text[:200]) for r in statuses][:3]
    assert limited and all(int(r.headers["retry-after"]) >= 1 for r in limited)
    assert {r.status_code for r in statuses[1::2]} >= {429}  # the second process refuses too


def test_sign_in_throttling_is_shared(world: dict[str, object]) -> None:
    """10 attempts a minute per address and e-mail, whichever process answers (alone, each would allow 10)."""
    a, b = world["urls"]  # type: ignore[misc]
    form = {"username": "rh@privas.example.fr", "password": "not the password"}
    started, codes = time.monotonic(), []
    while len(codes) < 30 and 429 not in codes:
        codes.append(httpx.post(f"{(a, b)[len(codes) % 2]}/auth/token", data=form, timeout=30).status_code)
    elapsed = time.monotonic() - started
    refilled = elapsed * 10 / 60  # the bucket refills while the (slow, argon2) attempts go on
    assert refilled < 5, f"attempts too slow to tell one shared bucket from two ({elapsed:.0f} s)"
    assert 429 in codes and set(codes[:-1]) == {401}
    assert 10 <= codes.count(401) <= 10 + refilled + 1, codes


def test_the_same_push_to_both_processes_at_once_stores_one_copy(world: dict[str, object]) -> None:
    a, b = world["urls"]  # type: ignore[misc]
    headers = {"X-API-Key": str(world["key"]), "content-type": "application/json"}
    items = [
        {"external_id": f"T-{n}", "version": 1, "offer": offer_body(str(world["employer"]), title=f"Jardinier {n}")}
        for n in range(100)
    ]
    with ThreadPoolExecutor(2) as pool:
        replies = list(
            pool.map(
                lambda url: httpx.put(f"{url}/partners/me/offers", json=items, headers=headers, timeout=120), (a, b)
            )
        )
    assert all(r.status_code == 200 for r in replies), [r.text[:300] for r in replies]
    outcomes = sorted(item["status"] for r in replies for item in r.json()["items"])
    assert outcomes == ["created"] * 100 + ["unchanged"] * 100
    again = httpx.put(f"{b}/partners/me/offers", json=items, headers=headers, timeout=120).json()
    assert {item["status"] for item in again["items"]} == {"unchanged"}
    listed = httpx.get(f"{a}/offers", params={"limit": 200}, headers={"X-API-Key": str(world["key"])}, timeout=30)
    assert listed.json()["total"] == 100
