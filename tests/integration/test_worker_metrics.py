"""A Celery worker serves the metrics of all its processes (prometheus-client multiprocess mode)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from matcher.core.settings import MatcherSettings
from matcher.jobs.worker import celery_app
from tests.conftest import require_service

pytestmark = pytest.mark.redis
REPO = Path(__file__).resolve().parents[2]


def test_a_task_run_in_a_pool_process_is_counted_on_the_worker_metrics_port(tmp_path: Path) -> None:
    redis_url = require_service("MATCHER_TEST_REDIS_URL", "Redis")
    queue = f"metrics-{uuid.uuid4().hex[:8]}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "MATCHER_DATA_DIR": str(tmp_path),
        "MATCHER_EMBEDDER": "hashing",
        "MATCHER_BROKER_URL": redis_url,
        "MATCHER_TASK_QUEUE": queue,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "matcher.cli.main", "worker", "--concurrency", "1", "--metrics-port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        settings = MatcherSettings(data_dir=tmp_path, broker_url=redis_url, task_queue=queue, embedder="hashing")
        celery_app(settings).send_task("matcher.check_indices", args=[], queue=queue)
        wanted = 'matcher_tasks_total{outcome="done",task="matcher.check_indices"} 1.0'
        deadline, text = time.monotonic() + 180, ""
        while wanted not in text:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, f"not counted on the metrics port:\n{text[-2000:]}"
            time.sleep(1)
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except httpx.TransportError:
                text = ""
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
