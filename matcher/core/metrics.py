"""Prometheus metrics the code records as it works (figures read from the store are collected at scrape time).

Celery workers and several API processes share one registry through prometheus-client's multiprocess
mode when ``PROMETHEUS_MULTIPROC_DIR`` is set; otherwise each process keeps its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

http_requests = Counter(
    "matcher_http_requests_total", "HTTP requests by route template and status.", ["method", "route", "status"]
)
http_seconds = Histogram(
    "matcher_http_request_seconds", "HTTP request latency by route template.", ["method", "route"], buckets=_FAST
)
shortlist_stage_seconds = Histogram(
    "matcher_shortlist_stage_seconds", "Time of each stage of a shortlist or matches build.", ["stage"], buckets=_FAST
)
embedding_seconds = Histogram(
    "matcher_embedding_seconds", "Time to embed one batch of texts (cache misses only).", buckets=_FAST
)
embedding_batch = Histogram(
    "matcher_embedding_batch_texts", "Texts per embedding batch.", buckets=(1, 4, 16, 64, 128, 256, 512, 1024, 4096)
)
tasks = Counter("matcher_tasks_total", "Background tasks run, by task and outcome.", ["task", "outcome"])
deliveries = Counter("matcher_webhook_attempts_total", "HR webhook delivery attempts by outcome.", ["outcome"])


@contextmanager
def timed(stage: str) -> Iterator[None]:
    """Record how long the block took as one observation of ``stage``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        shortlist_stage_seconds.labels(stage=stage).observe(time.perf_counter() - started)
