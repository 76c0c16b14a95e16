"""A partner-brought profile whose consent names employers: seen by those employers' recruiters, by no one else."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient

from matcher.catalog.search import SearchIn, search_candidates
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from matcher.store.tables import ShortlistRow
from tests.factories import PASSWORD, World, candidate_body, offer_body


def consent(**changes: object) -> dict:
    return {
        "given_at": (date.today() - timedelta(days=10)).isoformat(),
        "channel": "in_person",
        "scope": "all_public_employers",
        "duration_days": 365,
        **changes,
    }


def person(n: int, version: int = 1, **consent_changes: object) -> dict:
    return {
        "external_id": f"p-{n}",
        "version": version,
        "consent": consent(**consent_changes),
        "profile": candidate_body(
            display_name=f"Personne {n}", mobility={"communes": ["07186", "07019"], "radius_km": 40}
        ),
    }


def push(world: World, items: list[dict]) -> list[str]:
    response = world.client.put("/partners/me/candidates", json=items, headers=world.as_("partner"))
    assert response.status_code == 200, response.text
    return [item["candidate_id"] for item in response.json()["items"]]


def found_by(world: World, who: str) -> set[str]:
    response = world.client.post("/candidates/search", json={"query": "jardinier"}, headers=world.as_(who))
    assert response.status_code == 200, response.text
    return {hit["candidate_id"] for hit in response.json()["items"]}


def readable_by(world: World, candidate_id: str) -> dict[str, int]:
    return {
        who: world.client.get(f"/candidates/{candidate_id}", headers=world.as_(who)).status_code
        for who in ("recruiter", "other_recruiter")
    }


def test_a_consent_naming_an_employer_opens_the_profile_to_its_recruiters_only(world: World, rt: Runtime) -> None:
    named, everyone = push(world, [person(1, scope="employers", employer_ids=[world.employer_a]), person(2)])
    process_outbox(rt)
    assert found_by(world, "recruiter") == {named, everyone}
    assert found_by(world, "other_recruiter") == {everyone}
    assert readable_by(world, named) == {"recruiter": 200, "other_recruiter": 404}
    assert readable_by(world, everyone) == {"recruiter": 200, "other_recruiter": 200}
    # A search on behalf of no employer in particular finds the profile open to all only.
    assert {h.candidate_id for h in search_candidates(rt, SearchIn(query="jardinier")).items} == {everyone}


def found_on_the_search_page(world: World, email: str) -> str:
    client = TestClient(world.client.app)
    page = client.get("/connexion").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf, "no CSRF field on the sign-in page"
    signed_in = client.post("/connexion", data={"email": email, "password": PASSWORD, "csrf": csrf.group(1)})
    assert signed_in.status_code == 200, signed_in.text
    response = client.get("/recruteur/candidats", params={"q": "jardinier"})
    assert response.status_code == 200, response.text
    return response.text


def test_the_recruiters_search_page_shows_profiles_named_for_their_employer(world: World, rt: Runtime) -> None:
    push(world, [person(1, scope="employers", employer_ids=[world.employer_a]), person(2)])
    process_outbox(rt)
    assert "Personne 1" in found_on_the_search_page(world, "rh@privas.example.fr")
    other = found_on_the_search_page(world, "rh@aubenas.example.fr")
    assert "Personne 2" in other and "Personne 1" not in other


def one_offer_each(world: World) -> dict[str, str]:
    """An offer by each employer's recruiter, each within reach of the pushed people's mobility."""
    placed = (("recruiter", world.employer_a, "07186"), ("other_recruiter", world.employer_b, "07019"))
    return {
        who: world.client.post(
            "/offers", json=offer_body(employer, commune_insee=commune), headers=world.as_(who)
        ).json()["id"]
        for who, employer, commune in placed
    }


def shortlisted(world: World, who: str, offer_id: str) -> list[str]:
    page = world.client.get(f"/offers/{offer_id}/shortlists/latest", headers=world.as_(who))
    assert page.status_code == 200, page.text
    return [p["candidate_id"] for p in page.json()["places"]]


def build_shortlist(world: World, who: str, offer_id: str) -> list[str]:
    built = world.client.post(f"/offers/{offer_id}/shortlists", json={"size": 5}, headers=world.as_(who))
    assert built.status_code == 201, built.text
    return shortlisted(world, who, offer_id)


def test_narrowing_a_consent_to_one_employer_takes_the_person_out_of_the_others_shortlists(
    world: World, rt: Runtime
) -> None:
    [candidate_id] = push(world, [person(1)])
    offers = one_offer_each(world)
    process_outbox(rt)
    assert {who: build_shortlist(world, who, offer_id) for who, offer_id in offers.items()} == {
        "recruiter": [candidate_id],
        "other_recruiter": [candidate_id],
    }

    assert push(world, [person(1, version=2, scope="employers", employer_ids=[world.employer_a])]) == [candidate_id]
    assert shortlisted(world, "recruiter", offers["recruiter"]) == [candidate_id]
    assert shortlisted(world, "other_recruiter", offers["other_recruiter"]) == []
    with rt.store.read() as session:
        kept = {r.offer_id: [e["candidate_id"] for e in r.entries] for r in session.query(ShortlistRow)}
    assert kept == {offers["recruiter"]: [candidate_id], offers["other_recruiter"]: []}  # withdrawn, not just hidden


def test_a_new_shortlist_takes_the_profile_for_the_named_employer_only(world: World, rt: Runtime) -> None:
    [named] = push(world, [person(1, scope="employers", employer_ids=[world.employer_a])])
    offers = one_offer_each(world)
    process_outbox(rt)
    places = {who: build_shortlist(world, who, offer_id) for who, offer_id in offers.items()}
    assert places == {"recruiter": [named], "other_recruiter": []}


def test_once_the_person_takes_the_profile_over_their_own_visibility_decides(world: World, rt: Runtime) -> None:
    [candidate_id] = push(world, [person(1, scope="employers", employer_ids=[world.employer_a])])
    code = world.client.post("/partners/me/candidates/p-1/link-code", headers=world.as_("partner")).json()["code"]
    seeker = world.as_("seeker")
    assert world.client.post("/me/profile/link", json={"code": code}, headers=seeker).status_code == 200
    assert readable_by(world, candidate_id) == {"recruiter": 200, "other_recruiter": 404}  # nothing chosen yet

    assert world.client.put("/me/profile", json=candidate_body(visibility="private"), headers=seeker).status_code == 200
    assert readable_by(world, candidate_id) == {"recruiter": 404, "other_recruiter": 404}
    assert world.client.put("/me/profile", json=candidate_body(), headers=seeker).status_code == 200
    assert readable_by(world, candidate_id) == {"recruiter": 200, "other_recruiter": 200}
