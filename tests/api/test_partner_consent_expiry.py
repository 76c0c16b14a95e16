"""A partner-recorded consent that runs out closes the profile: at once for every read, then for good by the
periodic job (shortlists, index, the partner's feed); the partner or the person renews it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine

from matcher.access.accounts import Principal, Role
from matcher.catalog.candidate_sync import expire_consents
from matcher.core.indexes import CANDIDATES
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from matcher.shortlists import kept
from matcher.store.tables import ShortlistRow
from tests.factories import World, add_offers, candidate_body

THEN = datetime.now(UTC) - timedelta(days=40)  # when the partner pushed: the 30-day consent ended 10 days ago


def person(n: int, *, version: int = 1, given: date, days: int) -> dict:
    return {
        "external_id": f"p-{n}",
        "version": version,
        "consent": {
            "given_at": given.isoformat(),
            "channel": "paper",
            "scope": "all_public_employers",
            "duration_days": days,
        },
        "profile": candidate_body(display_name=f"Personne {n}"),
    }


def push(world: World, items: list[dict]) -> list[dict]:
    response = world.client.put("/partners/me/candidates", json=items, headers=world.as_("partner"))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def feed(world: World) -> list[tuple[str, str]]:
    page = world.client.get("/partners/me/candidates/changes", headers=world.as_("partner")).json()
    return [(c["external_id"], c["action"]) for c in page["changes"]]


def seen(world: World, candidate_id: str) -> bool:
    found = world.client.post("/candidates/search", json={"query": "jardinier"}, headers=world.as_("recruiter"))
    readable = world.client.get(f"/candidates/{candidate_id}", headers=world.as_("recruiter")).status_code == 200
    in_search = candidate_id in {h["candidate_id"] for h in found.json()["items"]}
    assert readable == in_search
    return readable


def pushed_then(world: World, rt: Runtime) -> tuple[str, str, str]:
    """Two profiles pushed 40 days ago (a 30-day consent and a year-long one), indexed and shortlisted then."""
    recruiter = Principal(role=Role.RECRUITER, subject="rh", employer_ids=frozenset({world.employer_a}))
    with time_machine.travel(THEN, tick=False):
        expiring, lasting = (
            i["candidate_id"]
            for i in push(world, [person(1, given=THEN.date(), days=30), person(2, given=THEN.date(), days=365)])
        )
        [offer_id] = add_offers(rt, 1, world.employer_a)
        process_outbox(rt)
        kept.build(rt, principal=recruiter, offer_id=offer_id, size=5)
    return expiring, lasting, offer_id


def test_an_expired_consent_hides_the_profile_at_once_and_the_job_closes_it(world: World, rt: Runtime) -> None:
    expiring, lasting, offer_id = pushed_then(world, rt)
    assert rt.backend.count(CANDIDATES) == 2  # the index has not heard of the end yet

    # Reads check the consent's end themselves: no window before the job runs.
    assert not seen(world, expiring) and seen(world, lasting)
    status = world.client.get("/partners/me/candidates/p-1", headers=world.as_("partner")).json()
    assert status["shown"] is False and status["consent_expires_on"] == (THEN.date() + timedelta(days=30)).isoformat()
    assert world.client.get("/partners/me/candidates/p-2", headers=world.as_("partner")).json()["shown"] is True

    assert expire_consents(rt) == {"expired": 1}
    assert expire_consents(rt) == {"expired": 0}  # closed once
    assert feed(world) == [("p-1", "created"), ("p-2", "created"), ("p-1", "expired")]
    process_outbox(rt)
    assert rt.backend.count(CANDIDATES) == 1
    with rt.store.read() as session:
        [shortlist] = session.query(ShortlistRow).filter(ShortlistRow.offer_id == offer_id).all()
        assert [e["candidate_id"] for e in shortlist.entries] == [lasting]


def test_the_partner_renews_with_a_new_version_and_a_new_consent(world: World, rt: Runtime) -> None:
    expiring, _, _ = pushed_then(world, rt)
    expire_consents(rt)
    stale = push(world, [person(1, version=2, given=THEN.date(), days=30)])[0]
    assert stale["status"] == "rejected" and stale["errors"][0]["field"] == "consent.duration_days"
    renewed = push(world, [person(1, version=2, given=date.today(), days=180)])[0]
    assert renewed["status"] == "updated" and renewed["candidate_id"] == expiring
    process_outbox(rt)  # the renewal reaches the index (the in-process runner may still be on an earlier write)
    assert seen(world, expiring)
    assert world.client.get("/partners/me/candidates/p-1", headers=world.as_("partner")).json()["shown"] is True
    assert feed(world)[-2:] == [("p-1", "expired"), ("p-1", "updated")]
    process_outbox(rt)
    assert rt.backend.count(CANDIDATES) == 2
    assert expire_consents(rt) == {"expired": 0}


def test_the_person_who_took_the_profile_over_renews_by_opening_it_again(world: World, rt: Runtime) -> None:
    expiring, _, _ = pushed_then(world, rt)
    code = world.client.post("/partners/me/candidates/p-1/link-code", headers=world.as_("partner")).json()["code"]
    seeker = world.as_("seeker")
    assert world.client.post("/me/profile/link", json={"code": code}, headers=seeker).status_code == 200
    assert expire_consents(rt) == {"expired": 1}
    assert feed(world)[-1] == ("p-2", "created")  # the partner no longer follows a profile taken over
    assert not seen(world, expiring)
    assert world.client.put("/me/profile", json=candidate_body(), headers=seeker).status_code == 200
    assert seen(world, expiring)  # their own consent now, with no end date
    assert expire_consents(rt) == {"expired": 0}
