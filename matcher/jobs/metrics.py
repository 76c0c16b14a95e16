"""Figures read from the store and the search backend at scrape time, beside the counters the code records.

The outbox depth and the age of its oldest pending row, unreplayed dead letters, webhook deliveries by
status, index sizes and the ranking model's version: none of these needs bookkeeping, so none can drift.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prometheus_client import REGISTRY, CollectorRegistry, Metric
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.indexing.outbox import live
from matcher.store.tables import DeadLetterRow, DeliveryRow, OutboxRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime


class StoreCollector:
    """A prometheus-client collector over one runtime's store and backend."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        with self.rt.store.read() as session:
            pending = session.scalar(select(func.count()).select_from(OutboxRow).where(live())) or 0
            oldest = session.scalar(select(func.min(OutboxRow.created_at)).where(live()))
            dead = session.scalar(
                select(func.count()).select_from(DeadLetterRow).where(DeadLetterRow.replayed_at.is_(None))
            )
            by_status = dict(
                session.execute(select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)).all()
            )
        yield GaugeMetricFamily("matcher_outbox_pending", "Outbox rows waiting to be processed.", value=pending)
        age = GaugeMetricFamily(
            "matcher_outbox_oldest_pending_seconds", "Age of the oldest pending outbox row (0 when none)."
        )
        age.add_metric([], (now - oldest.replace(tzinfo=oldest.tzinfo or UTC)).total_seconds() if oldest else 0.0)
        yield age
        yield GaugeMetricFamily(
            "matcher_dead_letters", "Tasks parked after their retries, not replayed.", value=dead or 0
        )
        deliveries = GaugeMetricFamily(
            "matcher_webhook_deliveries", "HR webhook deliveries by status.", labels=["status"]
        )
        for status in ("pending", "delivered", "dead"):
            deliveries.add_metric([status], by_status.get(status, 0))
        yield deliveries
        documents = GaugeMetricFamily("matcher_index_documents", "Live documents per index.", labels=["index"])
        for index in (OFFERS, CANDIDATES):
            documents.add_metric([index], self.rt.backend.count(index))
        yield documents
        model = InfoMetricFamily("matcher_ranking_model", "The ranking model in use.")
        model.add_metric([], {"version": self.rt.scorer.version})
        yield model


class _ProcessMetrics:
    """This process's recorded metrics (or every process's, in multiprocess mode)."""

    def collect(self) -> Iterator[Metric]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            yield from registry.collect()
        else:
            yield from REGISTRY.collect()


def registry_for(rt: Runtime | None) -> CollectorRegistry:
    """Everything to expose: recorded metrics, plus the store's and backend's figures when a runtime is given."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())
    if rt is not None:
        registry.register(StoreCollector(rt))
    return registry
