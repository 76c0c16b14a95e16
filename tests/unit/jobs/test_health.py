"""/health reports the store, the search backend and the job broker; 503 when one is out of reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.indexing.outbox import DEAD_MARK
from matcher.indexing.vectors import VECTORS_MODEL, record_model
from matcher.jobs.health import check
from matcher.jobs.runner import broker_status
from matcher.runtime import Runtime
from matcher.store.tables import DeadLetterRow, OutboxRow, SettingRow


def test_health_reports_the_broker(tmp_path: Path) -> None:
    assert broker_status(MatcherSettings(data_dir=tmp_path)) == "embedded"
    down = MatcherSettings(data_dir=tmp_path, embedder="hashing", broker_url="redis://127.0.0.1:1/0")
    assert broker_status(down) == "unreachable"
    rt = Runtime.open(down, embedder=HashingEmbedder())
    try:
        with TestClient(create_app(rt)) as client:
            response = client.get("/health")
    finally:
        rt.close()
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["store"], body["search"], body["broker"]) == ("degraded", "ok", "ok", "unreachable")
    assert body["pending_jobs"] == 0 and body["dead_letters"] == 0


def test_health_counts_live_pending_work_and_waiting_dead_letters_in_one_probe(tmp_path: Path) -> None:
    """Pending: outbox rows neither done nor parked in the dead letters; dead letters: those not replayed yet."""
    rt = Runtime.open(MatcherSettings(data_dir=tmp_path, embedder="hashing"), embedder=HashingEmbedder())
    rt.ensure_indices()
    now = datetime.now(UTC)
    try:
        with rt.store.transaction() as session:
            row = {"topic": "offer", "entity_id": "off_x", "version": 1, "action": "upsert"}
            session.add_all(
                [
                    OutboxRow(**row, created_at=now - timedelta(seconds=90)),  # live, the oldest
                    OutboxRow(**row, created_at=now - timedelta(seconds=30), last_error="timeout"),  # live, retried
                    OutboxRow(**row, created_at=now - timedelta(hours=2), processed_at=now),  # done
                    OutboxRow(**row, created_at=now - timedelta(hours=3), last_error=f"{DEAD_MARK}: boom"),  # parked
                    DeadLetterRow(task="index", args=[], error="boom"),
                    DeadLetterRow(task="index", args=[], error="boom"),
                    DeadLetterRow(task="index", args=[], error="boom", replayed_at=now),
                ]
            )
        report = check(rt)
    finally:
        rt.close()
    assert (report.store, report.pending_jobs, report.dead_letters) == ("ok", 2, 2)
    assert report.oldest_pending_s is not None and 89 <= report.oldest_pending_s <= 150


def test_health_tells_the_operator_when_the_indexed_vectors_come_from_another_model(tmp_path: Path) -> None:
    """Still answering (status ok: searches work, only worse), with what to do, in the same one-statement probe."""
    rt = Runtime.open(MatcherSettings(data_dir=tmp_path, embedder="hashing"), embedder=HashingEmbedder())
    rt.ensure_indices()
    try:
        first = check(rt)
        assert (first.vectors_model, first.notices) == (None, [])  # nothing recorded, nothing indexed
        record_model(rt)
        report = check(rt)
        assert (report.status, report.vectors_model, report.notices) == ("ok", "hashing-64+offres:titre+texte", [])
        with rt.store.transaction() as session:
            session.get_one(SettingRow, VECTORS_MODEL).value = "minilm-int8:256"
        with TestClient(create_app(rt)) as client:
            response = client.get("/health")
    finally:
        rt.close()
    assert response.status_code == 200
    body = response.json()
    assert body["vectors_model"] == "minilm-int8:256" and body["problems"] == []
    (notice,) = body["notices"]
    assert "minilm-int8:256" in notice and "hashing-64+offres:titre+texte" in notice
    assert "matcher index migrate" in notice
