"""Nothing accepted is lost: real Redis, real `matcher worker` processes, real Elasticsearch nodes.

- a worker killed (SIGKILL) in the middle of an indexing batch: after a restart every offer is indexed once;
- the search backend stopped while offers are pushed: they are accepted, and the index catches up after.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from indices.elasticsearch import ElasticsearchBackend
from indices.settings import SearchSettings
from matcher.core.indexes import OFFERS
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.indexing.admin import check_index
from matcher.jobs.dispatch import dispatch
from matcher.jobs.runner import InProcessRunner, pending_count
from matcher.runtime import Runtime
from matcher.store.tables import EmbeddingRow, OfferRow, OutboxRow
from tests.conftest import require_service
from tests.factories import add_offers, check_lease_owners

pytestmark = [pytest.mark.redis, pytest.mark.elasticsearch]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url() -> str:
    return require_service("MATCHER_TEST_REDIS_URL", "Redis")


@pytest.fixture
def queue(redis_url: str) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    client.delete(name, *client.keys(f"{name}:*"))


def job_settings(path: Path, redis_url: str, queue: str) -> MatcherSettings:
    return MatcherSettings(
        data_dir=path,
        embedder="hashing",
        search_backend="elasticsearch",
        broker_url=redis_url,
        task_queue=queue,
        outbox_batch_size=25,
        outbox_lease_s=3,  # work of a killed worker is handed out again after 3 s
        task_backoff_s=0.5,
        task_backoff_max_s=2,
        task_max_retries=1000,  # an outage is not a reason to give up
    )


class Worker:
    """A `matcher worker` process (prefork, one child) with the test's settings in its environment."""

    def __init__(self, settings: MatcherSettings, search: SearchSettings, log: Path) -> None:
        self.env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "MATCHER_DATA_DIR": str(settings.data_dir),
            "MATCHER_EMBEDDER": "hashing",
            "MATCHER_SEARCH_BACKEND": "elasticsearch",
            "MATCHER_BROKER_URL": settings.broker_url or "",
            "MATCHER_TASK_QUEUE": settings.task_queue,
            "MATCHER_OUTBOX_BATCH_SIZE": str(settings.outbox_batch_size),
            "MATCHER_OUTBOX_LEASE_S": str(settings.outbox_lease_s),
            "MATCHER_TASK_BACKOFF_S": str(settings.task_backoff_s),
            "MATCHER_TASK_BACKOFF_MAX_S": str(settings.task_backoff_max_s),
            "MATCHER_TASK_MAX_RETRIES": str(settings.task_max_retries),
            "SEARCH_URL": search.url,
            "SEARCH_INDEX_PREFIX": search.index_prefix,
            "SEARCH_MAX_RETRIES": "0",
            "SEARCH_BULK_RETRIES": "0",
            "SEARCH_REQUEST_TIMEOUT": "5",
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "matcher.cli.main", "worker", "--concurrency", "1", "--loglevel", "INFO"],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the pool child dies with it
            )

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def count(rt: Runtime, query) -> int:  # type: ignore[no-untyped-def]
    with rt.store.read() as session:
        return session.scalar(query) or 0


def wait_for(condition: Callable[[], bool], what: str, timeout: float, poll: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def catch_up(rt: Runtime, runner: InProcessRunner, timeout: float) -> None:
    """Dispatch as the beat does (every second here) until the outbox is empty."""
    deadline = time.monotonic() + timeout
    while pending_count(rt):
        if time.monotonic() > deadline:
            raise AssertionError(f"{pending_count(rt)} outbox rows still pending after {timeout:.0f} s")
        dispatch(runner.context)
        time.sleep(1)


def assert_indexed_once(rt: Runtime, expected: int) -> None:
    rt.backend.flush()
    check = check_index(rt, OFFERS)
    assert check.consistent, (check.missing[:5], check.stale[:5], check.extra[:5])
    assert (
        check.expected
        == check.indexed
        == rt.backend.count(OFFERS)
        == expected
        == count(rt, select(func.count()).select_from(OfferRow))
    )


def test_a_worker_killed_mid_batch_loses_nothing(
    tmp_path: Path, redis_url: str, queue: str, es_backend: ElasticsearchBackend
) -> None:
    settings = job_settings(tmp_path, redis_url, queue)
    rt = Runtime.open(settings, embedder=HashingEmbedder(), backend=es_backend)
    rt.ensure_indices()
    worker = Worker(settings, es_backend.settings, tmp_path / "worker.log")
    try:
        add_offers(rt, 400)
        runner = InProcessRunner(rt)  # with a broker: dispatches to the workers
        runner.kick()
        worker.start()
        processed = select(func.count()).select_from(OutboxRow).where(OutboxRow.processed_at.is_not(None))
        embedded = select(func.count()).select_from(EmbeddingRow)
        # Mid-batch: a batch's vectors are computed and stored, its rows not yet marked done.
        wait_for(lambda: 25 <= count(rt, processed) < count(rt, embedded) < 400, "a batch in progress", 120)
        worker.kill()
        done_at_kill = count(rt, processed)
        assert 25 <= done_at_kill < count(rt, embedded) < 400
        restarted = Worker(settings, es_backend.settings, tmp_path / "worker.log")
        restarted.start()
        try:
            catch_up(rt, runner, timeout=120)
        finally:
            restarted.stop()
        assert_indexed_once(rt, 400)
    finally:
        worker.stop()
        rt.close()


@pytest.fixture
def own_node(tmp_path: Path, elasticsearch_url: str) -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """A second Elasticsearch node of this test's own (port 9211), so stopping it disturbs no other test."""
    port = os.environ.get("MATCHER_TEST_SECOND_NODE_PORT", "9211")
    home = tmp_path / "search-node"
    default_build = Path(os.environ.get("SEARCH_NODE_HOME", Path.home() / ".cache" / "search-node")) / "build"
    env = {
        **os.environ,
        "SEARCH_NODE_PORT": port,
        "SEARCH_NODE_HOME": str(home),
        "SEARCH_NODE_BUILD": os.environ.get("SEARCH_NODE_BUILD", str(default_build)),
        "SEARCH_NODE_HEAP": "512m",
    }

    def run(command: str) -> None:
        subprocess.run([str(REPO / "scripts" / "search-node"), command], env=env, check=True, capture_output=True)

    run("start")
    try:
        yield f"http://127.0.0.1:{port}", lambda: run("stop"), lambda: run("start")
    finally:
        run("stop")
        shutil.rmtree(home, ignore_errors=True)


def test_offers_pushed_while_the_search_backend_is_down_are_indexed_once_it_returns(
    tmp_path: Path, redis_url: str, queue: str, own_node: tuple[str, Callable[[], None], Callable[[], None]]
) -> None:
    url, stop_node, start_node = own_node
    search = SearchSettings(url=url, index_prefix=f"faults-{uuid.uuid4().hex[:8]}", max_retries=0, bulk_retries=0)
    settings = job_settings(tmp_path, redis_url, queue)
    backend = ElasticsearchBackend(search)
    rt = Runtime.open(settings, embedder=HashingEmbedder(), backend=backend)
    rt.ensure_indices()
    runner = InProcessRunner(rt)
    worker = Worker(settings, search, tmp_path / "worker.log")
    worker.start()
    try:
        add_offers(rt, 50)
        runner.kick()
        catch_up(rt, runner, timeout=60)
        assert_indexed_once(rt, 50)

        stop_node()
        for _ in range(4):  # pushes keep being accepted: stored, with their outbox rows
            add_offers(rt, 25)
            runner.kick()
        assert count(rt, select(func.count()).select_from(OfferRow)) == 150
        time.sleep(3)  # the worker meets the outage and retries with backoff
        assert pending_count(rt) == 100
        failing = select(func.count()).select_from(OutboxRow).where(OutboxRow.last_error.like("SearchUnavailable%"))
        assert count(rt, failing) > 0

        start_node()  # same data folder: the 50 documents are still there
        catch_up(rt, runner, timeout=120)
        assert_indexed_once(rt, 150)
    finally:
        worker.stop()
        rt.close()
        backend.close()


def test_only_the_owner_of_a_redis_lease_extends_or_releases_it(redis_url: str, queue: str) -> None:
    from matcher.jobs.leases import RedisLeases

    check_lease_owners(RedisLeases(redis_url, namespace=queue))
