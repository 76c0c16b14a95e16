"""The audit chain under concurrent appenders on a real PostgreSQL (serialised by an advisory lock)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from matcher.governance import audit
from matcher.runtime import Runtime

# `rt` (tests/conftest.py) on PostgreSQL only: the advisory lock under test is PostgreSQL's.
pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("store", ["postgresql"])]


def test_concurrent_appends_keep_one_unbroken_chain(rt: Runtime) -> None:
    def append(worker: int) -> None:
        for n in range(40):
            with rt.store.transaction() as session:
                audit.record(session, actor=f"w{worker}", action="test", subject=f"{worker}-{n}", payload={"n": n})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(append, range(4)))
    with rt.store.read() as session:
        report = audit.verify(session)
    assert report.ok and report.checked == 160
