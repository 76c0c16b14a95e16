"""The same partner batch pushed twice at once: one copy of each offer, and the newest version wins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from matcher.access import accounts
from matcher.access.accounts import PartnerIn, Principal, Role
from matcher.catalog import sync
from matcher.catalog.employers import create_employer
from matcher.core.models import EmployerIn, EmployerKind
from matcher.runtime import Runtime
from matcher.store.tables import OfferRow, SyncItemRow

# On PostgreSQL too, where the partner's advisory lock serialises the pushes.
pytestmark = pytest.mark.both_stores


def batch(employer_id: str, version: int, n: int = 200) -> list[dict]:
    return [
        {
            "external_id": f"c-{i}",
            "version": version,
            "offer": {
                "title": f"Agent technique v{version} n°{i}",
                "employer_id": employer_id,
                "commune_insee": "07186",
                "contract_types": ["cdd"],
            },
        }
        for i in range(n)
    ]


def test_concurrent_identical_and_crossing_batches(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        employer = create_employer(session, data=EmployerIn(name="Privas", kind=EmployerKind.COMMUNE)).id
        partner_id = accounts.create_partner(session, data=PartnerIn(name="Agence", employer_ids=[employer])).id
    partner = Principal(role=Role.PARTNER, subject=partner_id, employer_ids=frozenset({employer}))

    def push(items: list[dict]) -> sync.SyncReport:
        return sync.sync_offers(rt.store, partner=partner, items=items, taxonomy=rt.taxonomy, geography=rt.geography)

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(push, [batch(employer, 1), batch(employer, 1)]))
    created = sum(r.counts[sync.Status.CREATED] for r in reports)
    unchanged = sum(r.counts[sync.Status.UNCHANGED] for r in reports)
    assert (created, unchanged) == (200, 200)

    # A newer batch racing a replay of the older one: whatever the order, version 2 stays.
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(push, [batch(employer, 2), batch(employer, 1)]))
    with rt.store.read() as session:
        assert session.scalar(select(func.count()).select_from(OfferRow)) == 200
        versions = set(session.scalars(select(SyncItemRow.version)))
        titles = {t.split(" n°")[0] for t in session.scalars(select(OfferRow.title))}
    assert versions == {2} and titles == {"Agent technique v2"}
