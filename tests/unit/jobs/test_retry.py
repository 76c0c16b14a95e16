"""Retry with exponential backoff, dead letters and their replay — in-process and through Celery."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
import urllib.error
from pathlib import Path

import pytest
from sqlalchemy import select

from indices.errors import SearchUnavailable
from matcher.core.errors import Conflict
from matcher.core.indexes import OFFERS
from matcher.core.retry import Dead, Done, Retry, backoff_s, is_transient
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.indexing.outbox import DEAD_MARK
from matcher.jobs.deadletters import list_dead_letters
from matcher.jobs.dispatch import dispatch
from matcher.jobs.leases import MemoryLeases
from matcher.jobs.runner import InProcessRunner, pending_count
from matcher.jobs.tasks import JOBS, Job, replay, run_job
from matcher.jobs.worker import make_celery
from matcher.runtime import Runtime
from matcher.store.tables import OutboxRow
from tests.factories import add_offers, check_lease_owners, flaky

pytestmark = pytest.mark.both_stores  # also on PostgreSQL (tests/conftest.py)


@pytest.fixture
def fast(tmp_path: Path) -> MatcherSettings:
    return MatcherSettings(
        data_dir=tmp_path, embedder="hashing", task_max_retries=3, task_backoff_s=0.01, task_backoff_max_s=0.02
    )


@pytest.fixture
def frt(fast: MatcherSettings):  # type: ignore[no-untyped-def]
    runtime = Runtime.open(fast, embedder=HashingEmbedder())
    runtime.ensure_indices()
    yield runtime
    runtime.close()


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_s(a, base_s=2, max_s=600) for a in range(10)] == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600]


def test_only_transient_failures_are_retried() -> None:
    assert is_transient(SearchUnavailable("down"))
    assert is_transient(ConnectionRefusedError())
    assert is_transient(TimeoutError())
    assert not is_transient(KeyError("bug"))
    assert not is_transient(ValueError("bad data"))
    for permanent in (
        PermissionError("data_dir en lecture seule"),
        FileNotFoundError("modèle absent"),
        smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"unknown user")}),
        OSError("quelconque"),
    ):
        assert not is_transient(permanent), permanent
    for transient in (
        ConnectionResetError(),
        socket.gaierror(-3, "Temporary failure in name resolution"),
        urllib.error.URLError("connexion refusée"),
        smtplib.SMTPServerDisconnected(),
        smtplib.SMTPConnectError(421, "busy"),
    ):
        assert is_transient(transient), transient


def test_a_transient_failure_is_retried_then_succeeds(frt: Runtime) -> None:
    ids = add_offers(frt, 3)
    runner = InProcessRunner(frt)
    row_ids = _row_ids(frt)
    with flaky(frt, failures=2):
        first = run_job(runner.context, "matcher.index_outbox", [row_ids], attempt=0)
        second = run_job(runner.context, "matcher.index_outbox", [row_ids], attempt=1)
        third = run_job(runner.context, "matcher.index_outbox", [row_ids], attempt=2)
    assert isinstance(first, Retry) and isinstance(second, Retry) and isinstance(third, Done)
    assert first.delay_s < second.delay_s  # exponential
    assert "SearchUnavailable" in first.error
    assert sorted(frt.backend.versions(OFFERS)) == sorted(ids) and pending_count(frt) == 0
    with frt.store.read() as session:
        assert {r.attempts for r in session.scalars(select(OutboxRow))} == {3}  # two failures, one success


def test_what_keeps_failing_goes_to_the_dead_letters_and_replays(frt: Runtime) -> None:
    ids = add_offers(frt, 2)
    runner = InProcessRunner(frt)
    with flaky(frt, failures=100):
        runner.kick()  # dispatches, fails, retries on timers (0.01 s, 0.02 s, 0.02 s), then gives up
        _wait(lambda: _dead(frt), "dead letter")
    [letter] = _dead(frt)
    assert letter.task == "matcher.index_outbox" and letter.attempts == 4 and "SearchUnavailable" in letter.error
    with frt.store.read() as session:
        rows = list(session.scalars(select(OutboxRow)))
    assert all(r.processed_at is None and r.last_error.startswith(DEAD_MARK) for r in rows)  # type: ignore[union-attr]
    # Parked: later dispatches leave them alone until an admin replays them.
    assert dispatch(runner.context)["rows"] == 0
    # Counted once, as a dead letter: not among the pending jobs (which parked rows would never leave).
    assert frt.backend.count(OFFERS) == 0 and pending_count(frt) == 0 and len(_dead(frt)) == 1

    assert replay(runner.context, dead_letter_id=letter.id) == "matcher.index_outbox"
    assert sorted(frt.backend.versions(OFFERS)) == sorted(ids) and pending_count(frt) == 0
    assert _dead(frt) == [] and list_dead_letters_all(frt)[0].replayed_at is not None
    with pytest.raises(Conflict):
        replay(runner.context, dead_letter_id=letter.id)


def test_a_bug_is_not_retried(frt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def broken(ctx: object, record_id: str) -> dict:
        calls.append(record_id)
        raise KeyError(record_id)

    monkeypatch.setitem(JOBS, "matcher.broken", Job(broken))
    runner = InProcessRunner(frt)
    outcome = run_job(runner.context, "matcher.broken", ["rec_1"], attempt=0)
    assert isinstance(outcome, Dead) and "KeyError" in outcome.error
    [letter] = _dead(frt)
    assert (letter.task, letter.args, letter.attempts) == ("matcher.broken", ["rec_1"], 1)
    replay(runner.context, dead_letter_id=letter.id)  # replayed in this process: fails again, a new letter
    assert calls == ["rec_1", "rec_1"] and len(_dead(frt)) == 1 and _dead(frt)[0].id != letter.id


def test_a_replay_marks_the_letter_and_makes_its_work_pending_together(
    frt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ctx: object, records: list[str], *_: object) -> dict:
        raise KeyError(records[0])

    def unpark_fails(session: object, args: list) -> None:
        raise RuntimeError("store gone mid-replay")

    monkeypatch.setitem(JOBS, "matcher.broken", Job(broken, lease_keys=lambda a: a[0], on_replay=unpark_fails))
    runner = InProcessRunner(frt)
    assert isinstance(run_job(runner.context, "matcher.broken", [["rec_1"], "owner"], attempt=0), Dead)
    [letter] = _dead(frt)
    assert letter.args == [["rec_1"]]  # the work, not the claim's owner token
    with pytest.raises(RuntimeError):
        replay(runner.context, dead_letter_id=letter.id)
    assert [d.id for d in _dead(frt)] == [letter.id]  # not marked replayed: it can be replayed again


def test_celery_tasks_retry_with_backoff_and_end_in_the_dead_letters(frt: Runtime, fast: MatcherSettings) -> None:
    add_offers(frt, 2)
    app = make_celery(fast, runtime=frt, eager=True)
    row_ids = _row_ids(frt)
    with flaky(frt, failures=100) as backend:
        app.tasks["matcher.index_outbox"].apply_async(args=[row_ids])
    assert backend.writes == 4  # first try + 3 retries
    [letter] = _dead(frt)
    assert letter.attempts == 4 and letter.args == [row_ids]
    with flaky(frt, failures=1) as backend:  # one more failure: a Celery retry, then success
        app.tasks["matcher.index_outbox"].apply_async(args=[row_ids])
    assert backend.writes == 2 and pending_count(frt) == 0 and frt.backend.count(OFFERS) == 2


def list_dead_letters_all(rt: Runtime):  # type: ignore[no-untyped-def]
    with rt.store.read() as session:
        return list_dead_letters(session, include_replayed=True)


def _dead(rt: Runtime):  # type: ignore[no-untyped-def]
    with rt.store.read() as session:
        return list_dead_letters(session)


def _row_ids(rt: Runtime) -> list[int]:
    with rt.store.read() as session:
        return list(session.scalars(select(OutboxRow.id).order_by(OutboxRow.id)))


def _wait(condition, what: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_only_the_owner_of_a_lease_extends_or_releases_it() -> None:
    check_lease_owners(MemoryLeases())


def test_a_kick_while_a_retry_holds_the_runner_is_dispatched_after_it(
    frt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, go_on = threading.Event(), threading.Event()

    def slow(ctx: object, record_id: str) -> dict:
        started.set()
        go_on.wait(5)
        return {}

    monkeypatch.setitem(JOBS, "matcher.slow", Job(slow))
    runner = InProcessRunner(frt)
    retry = threading.Thread(target=runner._retry, args=("matcher.slow", ["rec_1"], 1))  # as its timer runs it
    retry.start()
    assert started.wait(5)
    add_offers(frt, 2)
    runner.kick()  # the retry holds the runner: this drain leaves it the flag
    assert pending_count(frt) == 2
    go_on.set()
    retry.join(5)
    assert pending_count(frt) == 0 and frt.backend.count(OFFERS) == 2
