"""The edges share one use case per act: a decision from the API and from the page is the same record."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from matcher.catalog.candidates import create_candidate
from matcher.catalog.offers import create_offer
from matcher.core.models import CandidateIn, OfferIn
from matcher.governance import audit
from matcher.runtime import Runtime
from matcher.shortlists.decisions import list_feedback
from matcher.store.tables import AuditRow, CandidateRow, ShortlistRow
from tests.factories import PASSWORD, World, candidate_body, count, offer_body


def page_token(client: TestClient, email: str) -> str:
    """Sign in through the form; the CSRF token of the new session."""
    client.follow_redirects = False
    token = re.findall(r'name="csrf" value="([^"]+)"', client.get("/connexion").text)[0]
    response = client.post("/connexion", data={"email": email, "password": PASSWORD, "csrf": token})
    assert response.status_code == 303, response.text
    return re.findall(r'name="csrf" value="([^"]+)"', client.get(response.headers["location"]).text)[0]


def offer_and_candidates(rt: Runtime, world: World, how_many: int) -> tuple[str, list[str]]:
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    with rt.store.transaction() as session:
        offer = create_offer(session, data=OfferIn.model_validate(offer_body(world.employer_a)), **refs)
        ids = [
            create_candidate(session, data=CandidateIn.model_validate(candidate_body()), **refs).id
            for _ in range(how_many)
        ]
    return offer.id, ids


def decision_audit(rt: Runtime) -> list[tuple[str | None, dict]]:
    with rt.store.read() as session:
        rows = session.query(AuditRow).filter(AuditRow.action == audit.DECISION).order_by(AuditRow.seq)
        return [(r.actor, {k: v for k, v in r.payload.items() if k != "feedback_id"}) for r in rows]


def test_a_decision_from_the_api_and_from_the_page_is_the_same_record(rt: Runtime, world: World) -> None:
    offer_id, (by_api, by_page) = offer_and_candidates(rt, world, 2)
    reason = "Pas de permis C"
    api = world.client.post(
        f"/offers/{offer_id}/feedback",
        json={"candidate_id": by_api, "decision": "rejected", "reason": reason, "recruiter_id": "someone-else"},
        headers=world.as_("recruiter"),
    )
    assert api.status_code == 201
    token = page_token(world.client, "rh@privas.example.fr")
    data = {"candidate_id": by_page, "decision": "rejected", "reason": reason, "csrf": token}
    assert world.client.post(f"/offres/{offer_id}/decisions", data=data).status_code == 303

    with rt.store.read() as session:
        recorded = {f.candidate_id: f for f in list_feedback(session, offer_id=offer_id)}
        contacted = {cid: session.get(CandidateRow, cid).last_contact_at for cid in (by_api, by_page)}
    same = {"id", "candidate_id", "created_at"}
    assert recorded[by_api].model_dump(exclude=same) == recorded[by_page].model_dump(exclude=same)
    assert recorded[by_page].recruiter_id == world.account_ids["recruiter"]  # never taken from the request
    assert all(contacted.values())  # a decision restarts the retention clock, from either edge
    api_audit, page_audit = decision_audit(rt)
    assert api_audit == page_audit == (world.account_ids["recruiter"], api_audit[1])


def test_a_decision_on_another_employers_offer_is_refused_from_both_edges(rt: Runtime, world: World) -> None:
    offer_id, (candidate_id,) = offer_and_candidates(rt, world, 1)
    body = {"candidate_id": candidate_id, "decision": "interview"}
    api = world.client.post(f"/offers/{offer_id}/feedback", json=body, headers=world.as_("other_recruiter"))
    assert api.status_code == 404
    token = page_token(world.client, "rh@aubenas.example.fr")
    page = world.client.post(
        f"/offres/{offer_id}/decisions", data={**body, "csrf": token}, headers={"Accept": "text/html"}
    )
    assert page.status_code == 404
    with rt.store.read() as session:
        assert list_feedback(session, offer_id=offer_id) == []


def test_a_shortlist_size_above_the_setting_is_a_french_problem_naming_size(rt: Runtime, world: World) -> None:
    offer_id, _ = offer_and_candidates(rt, world, 1)
    rt.settings.max_shortlist_size = 30
    url, hr = f"/offers/{offer_id}/shortlists", world.as_("recruiter")
    refused = world.client.post(url, json={"size": 31}, headers=hr)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "size" and "de 1 à 30 places" in refused.json()["detail"]
    assert count(rt, ShortlistRow) == 0
    assert world.client.post(url, json={"size": 30}, headers=hr).status_code == 201
