"""Metrics, request ids that follow the work, and logs free of personal data."""

from __future__ import annotations

import logging
import re
import time

import pytest

from matcher.core.logs import JsonFormatter
from matcher.runtime import Runtime
from matcher.store.tables import OutboxRow
from tests.factories import World, candidate_body, offer_body

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def test_metrics_for_admins_only_with_route_templates_and_store_figures(world: World) -> None:
    client = world.client
    offer = client.post("/offers", json=offer_body(world.employer_a), headers=world.as_("recruiter")).json()
    assert client.get(f"/offers/{offer['id']}", headers=world.as_("recruiter")).status_code == 200
    assert client.get("/metrics", headers=world.as_("recruiter")).status_code == 403
    assert client.get("/metrics").status_code == 401
    response = client.get("/metrics", headers=world.as_("admin"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    # Routes are labelled by template, never by id.
    assert 'route="/offers/{offer_id}"' in text and offer["id"] not in text
    for name in (
        "matcher_http_requests_total",
        "matcher_http_request_seconds_bucket",
        "matcher_outbox_pending",
        "matcher_outbox_oldest_pending_seconds",
        "matcher_dead_letters",
        "matcher_webhook_deliveries",
        'matcher_index_documents{index="offers"}',
        "matcher_ranking_model_info",
    ):
        assert name in text, name


def test_request_id_is_returned_and_reaches_the_outbox_and_the_task_logs(
    world: World, rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    client = world.client
    assert re.fullmatch(r"[0-9a-f]{16}", client.get("/health").headers["x-request-id"])
    assert client.get("/health", headers={"X-Request-ID": "bad id\n"}).headers["x-request-id"] != "bad id\n"
    caplog.set_level(logging.INFO)
    headers = {**world.as_("recruiter"), "X-Request-ID": "req-42"}
    created = client.post("/offers", json=offer_body(world.employer_a), headers=headers)
    assert created.headers["x-request-id"] == "req-42"
    deadline = time.monotonic() + 20
    while True:  # the commit woke the runner, which indexes in a thread of its own
        with rt.store.read() as session:
            row = session.query(OutboxRow).filter_by(entity_id=created.json()["id"]).one()
        if row.processed_at is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert row.request_id == "req-42" and row.processed_at is not None
    indexed = [r for r in caplog.records if r.getMessage() == "outbox rows indexed"]
    assert any("req-42" in r.request_ids for r in indexed)  # type: ignore[attr-defined]
    access = [r for r in caplog.records if r.name == "matcher.http" and r.route == "/offers"]  # type: ignore[attr-defined]
    assert access and access[-1].status == 201  # type: ignore[attr-defined]


def test_no_personal_data_in_any_log_line(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """A seeker's life cycle and a recruiter's work on them, every logger at DEBUG: no e-mail, name or free text."""
    caplog.set_level(logging.DEBUG)
    client, seeker, hr = world.client, world.as_("seeker"), world.as_("recruiter")
    markers = {"name": "Zéphyrine Quatremaire", "summary": "Passionnée de roses anciennes à Vernoux"}
    body = candidate_body(display_name=markers["name"], summary=markers["summary"], title="Jardinière paysagiste")
    assert client.post("/me/profile", json=body, headers=seeker).status_code == 201
    offer = client.post("/offers", json=offer_body(world.employer_a), headers=hr).json()
    client.get("/me/matches", headers=seeker)
    client.post("/candidates/search", json={"query": "roses anciennes Vernoux"}, headers=hr)
    built = client.post(f"/offers/{offer['id']}/shortlists", json={"size": 5}, headers=hr).json()
    client.get(built["href"], headers=hr)
    client.post("/auth/token", data={"username": "camille@example.fr", "password": "wrong password"})
    client.get("/me/export", headers=seeker)
    assert client.delete("/me", headers=seeker).status_code in (200, 204)
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert len(lines) > 10  # the flows above did log
    text = "\n".join(lines)
    assert not EMAIL.search(text), EMAIL.search(text)
    for marker in (*markers.values(), "Quatremaire", "roses anciennes", "wrong password"):
        assert marker not in text, marker
