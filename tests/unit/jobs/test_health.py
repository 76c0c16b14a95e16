"""/health reports the store, the search backend and the job broker; 503 when one is out of reach."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.jobs.runner import broker_status
from matcher.runtime import Runtime


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
