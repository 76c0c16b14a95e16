"""Background work keeps up, and /health says when it does not: the commit of outbox rows wakes the runner,
whatever the write path; /health reports workers and the oldest pending row, and degrades."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.core.indexes import CANDIDATES
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.jobs.runner import pending_count
from matcher.jobs.worker import make_celery
from matcher.runtime import Runtime
from matcher.store.tables import OutboxRow
from tests.factories import World, candidate_body

REDIS_URL = "MATCHER_TEST_REDIS_URL"


def _eventually(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_an_erasure_through_the_api_is_applied_without_any_other_write(world: World, rt: Runtime) -> None:
    seeker = world.as_("seeker")
    profile = world.client.post("/me/profile", json=candidate_body(), headers=seeker)
    assert profile.status_code in (200, 201), profile.text
    candidate_id = profile.json()["id"]
    assert _eventually(lambda: candidate_id in rt.backend.versions(CANDIDATES) and pending_count(rt) == 0)

    assert world.client.delete("/me", headers=seeker).status_code == 204
    # No other request: the commit of the erasure's outbox row alone must get it processed.
    assert _eventually(lambda: pending_count(rt) == 0), "the erasure's delete stayed pending"
    assert candidate_id not in rt.backend.versions(CANDIDATES)


def _runtime(tmp_path: Path, **settings: object) -> Runtime:
    rt = Runtime.open(MatcherSettings(data_dir=tmp_path, embedder="hashing", **settings), embedder=HashingEmbedder())
    rt.ensure_indices()
    return rt


def test_health_degrades_when_pending_work_is_older_than_the_setting(tmp_path: Path) -> None:
    rt = _runtime(tmp_path, health_outbox_max_age_s=60)
    try:
        with TestClient(create_app(rt)) as client:
            fresh = client.get("/health")
            assert fresh.status_code == 200 and fresh.json()["oldest_pending_s"] is None
            assert fresh.json()["workers"] is None  # no broker: jobs run in the API process
        with rt.store.transaction() as session:  # accepted five minutes ago, never handed out
            old = datetime.now(UTC) - timedelta(minutes=5)
            session.add(OutboxRow(topic="offer", entity_id="off_x", version=1, action="upsert", created_at=old))
        with TestClient(create_app(rt)) as client:
            response = client.get("/health")
    finally:
        rt.close()
    body = response.json()
    assert response.status_code == 503 and body["status"] == "degraded"
    assert body["pending_jobs"] == 1 and 290 <= body["oldest_pending_s"] <= 400
    assert any("en attente depuis" in p for p in body["problems"])


def test_health_degrades_when_no_celery_worker_answers_and_names_those_that_do(tmp_path: Path) -> None:
    url = os.environ.get(REDIS_URL)
    if not url:
        pytest.skip(f"Redis not available (set {REDIS_URL})")
    queue = f"health-{uuid.uuid4().hex[:8]}"
    trusted_s = 3.0
    rt = _runtime(
        tmp_path, broker_url=url, task_queue=queue, health_worker_timeout_s=1.0, health_worker_cache_s=trusted_s
    )
    try:
        with TestClient(create_app(rt)) as client:
            alone = client.get("/health")
            assert alone.status_code == 503, alone.text
            assert alone.json()["broker"] == "ok" and alone.json()["workers"] == []
            assert "aucun worker Celery ne répond" in alone.json()["problems"]
            app = make_celery(rt.settings, runtime=rt)
            # No answer is not kept: the worker is seen as soon as it answers.
            with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
                seen = client.get("/health")
            stopped_at = time.monotonic()
            # Workers seen answering are trusted a while (a probe does not wait a ping's whole timeout)...
            trusted = client.get("/health")
            assert time.monotonic() - stopped_at < trusted_s, "the machine was too slow for this check"
            time.sleep(max(0.0, trusted_s - (time.monotonic() - stopped_at)) + 0.1)
            # ...then asked again: the stopped worker no longer answers.
            again = client.get("/health")
    finally:
        rt.close()
    assert seen.status_code == 200, seen.text
    assert len(seen.json()["workers"]) >= 1 and seen.json()["problems"] == []
    assert trusted.status_code == 200 and trusted.json()["workers"] == seen.json()["workers"]
    assert again.status_code == 503 and again.json()["workers"] == [], again.text
