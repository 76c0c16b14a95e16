"""A large partner push commits in bounded chunks: another writer gets in between them, and every item's
fate is reported as it would be in one transaction."""

from __future__ import annotations

import threading

import pytest

from matcher.access import accounts
from matcher.access.accounts import PartnerIn, Principal, Role
from matcher.catalog import sync
from matcher.catalog.employers import create_employer
from matcher.core.models import EmployerIn, EmployerKind
from matcher.runtime import Runtime
from tests.factories import add_offers

pytestmark = pytest.mark.both_stores


def _items(employer_id: str, n: int) -> list[dict]:
    offer = {"employer_id": employer_id, "commune_insee": "07186", "contract_types": ["cdd"]}
    return [{"external_id": f"k-{i}", "version": 1, "offer": {**offer, "title": f"Agent n°{i}"}} for i in range(n)]


def test_a_push_commits_chunk_by_chunk_and_another_writer_gets_in_before_it_ends(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        employer = create_employer(session, data=EmployerIn(name="Privas", kind=EmployerKind.COMMUNE)).id
        partner_id = accounts.create_partner(session, data=PartnerIn(name="Agence", employer_ids=[employer])).id
    partner = Principal(role=Role.PARTNER, subject=partner_id, employer_ids=frozenset({employer}))
    items = _items(employer, 35)
    items[12] = {**items[12], "offer": {**items[12]["offer"], "commune_insee": "99999"}}  # refused, alone

    commits: list[str] = []  # who committed outbox rows, in order
    go = threading.Event()
    other = threading.Thread(target=lambda: go.wait(30) and add_offers(rt, 1, employer), name="other-writer")
    other.start()

    def hook(tables: frozenset[str]) -> None:
        if "outbox" in tables:
            commits.append(threading.current_thread().name)
            if not go.is_set():
                go.set()  # the first chunk is in: another writer asks for the store now
                threading.Event().wait(0.5)  # (long enough for it to queue before the next chunk)

    unhook = rt.store.on_commit(hook)
    try:
        report = sync.sync_offers(
            rt.store,
            partner=partner,
            items=items,
            taxonomy=rt.taxonomy,
            geography=rt.geography,
            chunking=sync.Chunking(items=10, seconds=60),
        )
    finally:
        unhook()
        go.set()
        other.join(30)
    mine = [who for who in commits if who != "other-writer"]
    assert len(mine) == 4  # 35 items, at most 10 per transaction
    assert "other-writer" in commits and commits.index("other-writer") < len(commits) - 1  # not after the push
    assert [i.index for i in report.items] == list(range(35))
    assert report.counts[sync.Status.CREATED] == 34 and report.items[12].status is sync.Status.REJECTED
    assert report.items[12].errors[0].field == "commune_insee"
    again = sync.sync_offers(
        rt.store, partner=partner, items=items, taxonomy=rt.taxonomy, geography=rt.geography, chunking=sync.Chunking()
    )
    assert again.counts[sync.Status.UNCHANGED] == 34 and again.cursor == report.cursor
