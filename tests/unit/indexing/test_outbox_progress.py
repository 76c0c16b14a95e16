"""Indexing the outbox in bulk shows one progress line; its batches are not logged over it."""

from __future__ import annotations

import logging

import pytest

from matcher.indexing.outbox import process_outbox
from matcher.runtime import Runtime
from tests.factories import add_offers


def test_a_progress_line_replaces_the_per_batch_log_lines(rt: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    add_offers(rt, 5)
    add_offers(rt, 3)
    seen: list[tuple[str, int, int]] = []
    caplog.set_level(logging.INFO, logger="matcher.indexing.outbox")
    report = process_outbox(rt, batch_size=4, progress=lambda step, done, total: seen.append((step, done, total)))
    assert report.indexed >= 8 and seen[0][1] == 0 and seen[-1][1] == seen[-1][2] >= 8
    assert len(seen) >= 3  # the start, then each batch of 4
    assert not [r for r in caplog.records if r.getMessage() == "outbox rows indexed"]
    # Without a progress line (a worker, the in-process runner) each batch is logged with the requests it serves.
    add_offers(rt, 2)
    process_outbox(rt)
    assert [r for r in caplog.records if r.getMessage() == "outbox rows indexed" and r.levelno == logging.INFO]
