"""Helpers shared by the background-job tests: records written through the services, as the API writes them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from indices.errors import SearchUnavailable
from indices.protocol import BulkResult, SearchBackend
from matcher.catalog.offers import create_offer
from matcher.core.outbox import enqueue
from matcher.runtime import Runtime
from matcher.store.tables import EmployerRow, ShortlistRow
from tests.unit.test_services import employer, offer_in


def add_offers(rt: Runtime, count: int, employer_id: str | None = None, **changes: object) -> list[str]:
    employer_id = employer_id or employer(rt)
    ids = []
    with rt.store.transaction() as session:
        for n in range(count):
            data = offer_in(employer_id, **{"title": f"Jardinier H/F n°{n}", **changes})
            ids.append(create_offer(session, data=data, taxonomy=rt.taxonomy, geography=rt.geography).id)
    return ids


def built_shortlist(rt: Runtime, *, webhook_url: str | None, secret: str | None = "s3cret") -> str:
    """A persisted shortlist and its ``shortlist`` outbox row, as the shortlist service writes them."""
    employer_id = employer(rt)
    offer_id = add_offers(rt, 1, employer_id)[0]
    with rt.store.transaction() as session:
        row = session.get(EmployerRow, employer_id)
        assert row is not None
        row.webhook_url, row.webhook_secret = webhook_url, secret
        session.add(
            ShortlistRow(
                id="sl_1",
                offer_id=offer_id,
                employer_id=employer_id,
                offer_version=1,
                built_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
                ranking="model",
                model_version="additive-v1",
                entries=[
                    {"candidate_id": "cand_b", "version": 1, "rank": 2, "score": 0.5, "explanation": {"x": 1}},
                    {"candidate_id": "cand_a", "version": 3, "rank": 1, "score": 0.9, "explanation": {"x": 2}},
                ],
            )
        )
        enqueue(session, topic="shortlist", entity_id="sl_1", version=1, action="built")
    return "sl_1"


class FlakyBackend:
    """Delegates to a real backend; the next ``failures`` writes raise :class:`SearchUnavailable`."""

    def __init__(self, inner: SearchBackend, failures: int = 0) -> None:
        self.inner = inner
        self.failures = failures
        self.writes = 0

    def _maybe_fail(self) -> None:
        self.writes += 1
        if self.failures > 0:
            self.failures -= 1
            raise SearchUnavailable("cluster hors d'atteinte (test)")

    def upsert(self, index: str, documents: Any) -> BulkResult:
        self._maybe_fail()
        return self.inner.upsert(index, documents)

    def delete(self, index: str, ids_versions: Any) -> BulkResult:
        self._maybe_fail()
        return self.inner.delete(index, ids_versions)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextmanager
def flaky(rt: Runtime, failures: int) -> Iterator[FlakyBackend]:
    original = rt.backend
    rt.backend = FlakyBackend(original, failures)  # type: ignore[assignment]
    try:
        yield rt.backend  # type: ignore[misc]
    finally:
        rt.backend = original
