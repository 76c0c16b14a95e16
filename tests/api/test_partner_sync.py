"""Partner bulk sync: idempotent by (partner, external id) and version, tombstones, per-item results, change feed."""

from __future__ import annotations

import json

from matcher.access.accounts import Principal, Role
from matcher.catalog.offers import set_occupation
from matcher.core.records import offer_row
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from matcher.store.tables import ChangeRow, OfferRow
from tests.factories import World, count, offer_body

COMMUNES = ("07186", "07019", "26362", "38185", "69123")


def listing(world: World, n: int, version: int = 1, title: str = "Agent d'entretien") -> dict:
    return {
        "external_id": f"ext-{n:05d}",
        "version": version,
        "offer": offer_body(world.employer_a, title=f"{title} {n}", commune_insee=COMMUNES[n % len(COMMUNES)]),
    }


def push(world: World, items: list[dict]) -> dict:
    response = world.client.put("/partners/me/offers", json=items, headers=world.as_("partner"))
    assert response.status_code == 200, response.text
    return response.json()


def test_push_5000_then_again_then_100_changed_and_50_deleted_and_pull_exactly_those(world: World, rt: Runtime) -> None:
    first = push(world, [listing(world, n) for n in range(5000)])
    assert first["counts"]["created"] == 5000 and first["counts"]["rejected"] == 0
    cursor = first["cursor"]
    assert count(rt, OfferRow) == 5000

    again = push(world, [listing(world, n) for n in range(5000)])
    assert again["counts"]["unchanged"] == 5000 and again["cursor"] == cursor

    changed = [listing(world, n, version=2, title="Agent polyvalent") for n in range(100)]
    deleted = [{"external_id": f"ext-{n:05d}", "version": 2, "deleted": True} for n in range(4950, 5000)]
    third = push(world, changed + deleted)
    assert third["counts"]["updated"] == 100 and third["counts"]["deleted"] == 50
    assert count(rt, OfferRow) == 4950

    feed, since = [], cursor
    while True:
        page = world.client.get(
            "/partners/me/offers/changes", params={"since": since, "limit": 40}, headers=world.as_("partner")
        ).json()
        feed += page["changes"]
        since = page["next_cursor"]
        if not page["has_more"]:
            break
    assert len(feed) == 150
    assert {c["external_id"] for c in feed if c["action"] == "updated"} == {f"ext-{n:05d}" for n in range(100)}
    assert {c["external_id"] for c in feed if c["action"] == "deleted"} == {f"ext-{n:05d}" for n in range(4950, 5000)}
    assert since == third["cursor"]
    # The index catches up with the store: whatever the woken runner has not indexed yet, a drain does
    # (indexing is idempotent: documents carry the store's version).
    process_outbox(rt)
    assert rt.backend.count("offers") == 4950


def test_stale_replays_and_late_upserts_after_a_delete_are_refused(world: World, rt: Runtime) -> None:
    push(world, [listing(world, 1, version=5)])
    replay = push(world, [listing(world, 1, version=4, title="Ancien")])["items"][0]
    assert replay["status"] == "rejected" and "antérieure" in replay["errors"][0]["message"]
    conflict = push(world, [listing(world, 1, version=5, title="Autre contenu")])["items"][0]
    assert conflict["status"] == "rejected" and conflict["errors"][0]["field"] == "version"
    gone = push(world, [{"external_id": "ext-00001", "version": 6, "deleted": True}])["items"][0]
    assert gone["status"] == "deleted"
    late = push(world, [listing(world, 1, version=5)])["items"][0]
    assert late["status"] == "rejected" and count(rt, OfferRow) == 0  # the tombstone holds
    revived = push(world, [listing(world, 1, version=7, title="Republiée")])["items"][0]
    assert revived["status"] == "created" and count(rt, OfferRow) == 1


def test_per_item_rejections_name_the_field_and_do_not_block_the_batch(world: World, rt: Runtime) -> None:
    items = [
        listing(world, 1),
        {**listing(world, 2), "offer": {**listing(world, 2)["offer"], "commune_insee": "99999"}},
        {"external_id": "ext-3", "offer": listing(world, 3)["offer"]},
        {**listing(world, 4), "surprise": True},
        "not an object",
        listing(world, 5),
    ]
    report = push(world, items)
    statuses = [i["status"] for i in report["items"]]
    assert statuses == ["created", "rejected", "rejected", "rejected", "rejected", "created"]
    fields = [i["errors"][0]["field"] for i in report["items"] if i["status"] == "rejected"]
    assert fields == ["commune_insee", "version", "surprise", ""]
    assert count(rt, OfferRow) == 2 and count(rt, ChangeRow) == 2


def test_json_lines_and_schema_org_job_postings(world: World, rt: Runtime) -> None:
    posting = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "identifier": {"@type": "PropertyValue", "value": "jp-42"},
        "title": "Auxiliaire de puériculture",
        "description": "<p>Accueil des enfants en crèche municipale.</p>",
        "datePosted": "2026-11-02",
        "dateModified": "2026-11-20T10:00:00+00:00",
        "employmentType": ["TEMPORARY"],
        "hiringOrganization": {"@type": "Organization", "name": "Privas", "identifier": world.employer_a},
        "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "postalCode": "07000"}},
        "baseSalary": {"@type": "MonetaryAmount", "value": {"minValue": 1900, "maxValue": 2100, "unitText": "MONTH"}},
    }
    lines = "\n".join(json.dumps(item) for item in (posting, listing(world, 7)))
    response = world.client.put(
        "/partners/me/offers",
        content=lines.encode(),
        headers={**world.as_("partner"), "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["status"] for i in items] == ["created", "created"]
    offer = world.client.get(f"/offers/{items[0]['offer_id']}", headers=world.as_("recruiter")).json()
    assert offer["commune_insee"] == "07186" and offer["contract_types"] == ["cdd"]
    assert offer["salary"] == {"minimum": 22800.0, "maximum": 25200.0} and "<p>" not in offer["description"]
    assert offer["source"] == world.partner_id and offer["external_ref"] == "jp-42"
    again = world.client.put(
        "/partners/me/offers",
        content=lines.encode(),
        headers={**world.as_("partner"), "Content-Type": "application/x-ndjson"},
    )
    assert [i["status"] for i in again.json()["items"]] == ["unchanged", "unchanged"]


def test_unreadable_bodies_are_problems(world: World) -> None:
    for body, status, field in ((b"{not json", 400, "body"), (b'{"a": 1}', 422, "body")):
        response = world.client.put(
            "/partners/me/offers", content=body, headers={**world.as_("partner"), "Content-Type": "application/json"}
        )
        assert response.status_code == status and response.json()["errors"][0]["field"] == field


def test_callers_cannot_claim_another_source_and_a_recruiter_deleted_listing_comes_back(
    world: World, rt: Runtime
) -> None:
    hr = world.as_("recruiter")
    claimed = offer_body(world.employer_a, source=world.partner_id, external_ref="ext-00001")
    mine = world.client.post("/offers", json=claimed, headers=hr).json()
    assert mine["source"] == "direct"  # not the partner's: its sync of ext-00001 is not blocked
    assert push(world, [listing(world, 1)])["items"][0]["status"] == "created"
    synced = world.client.get("/offers", params={"limit": 200}, headers=hr).json()["items"]
    offer_id = next(o["id"] for o in synced if o["source"] == world.partner_id)
    edited = world.client.put(f"/offers/{offer_id}", json=offer_body(world.employer_a, title="Retouchée"), headers=hr)
    assert edited.json()["source"] == world.partner_id and edited.json()["external_ref"] == "ext-00001"
    assert world.client.delete(f"/offers/{offer_id}", headers=hr).status_code == 204
    back = push(world, [listing(world, 1, version=2)])
    assert back["items"][0]["status"] == "created" and count(rt, OfferRow) == 2


def test_a_listing_without_occupation_keeps_the_one_a_recruiter_set_and_a_code_sent_replaces_it(
    world: World, rt: Runtime
) -> None:
    def pushed(version: int, **changes: object) -> dict:
        item = listing(world, 1, version=version)
        return push(world, [{**item, "offer": {**item["offer"], "rome_code": None, **changes}}])["items"][0]

    offer_id = pushed(1)["offer_id"]
    recruiter = Principal(role=Role.RECRUITER, subject="rh", employer_ids=frozenset({world.employer_a}))
    set_occupation(rt, principal=recruiter, offer_id=offer_id, rome_code="K2204")  # read on the offer's page

    assert pushed(2, description="Nettoyage des locaux de la mairie, horaires décalés.")["status"] == "updated"
    with rt.store.read() as session:
        row = offer_row(session, offer_id)
        assert (row.rome_code, row.description) == ("K2204", "Nettoyage des locaux de la mairie, horaires décalés.")
    assert pushed(3, rome_code="K2303")["status"] == "updated"
    with rt.store.read() as session:
        assert offer_row(session, offer_id).rome_code == "K2303"
