"""Promises of the README kept at the HTTP edge: references per employer, body caps, page sizes."""

from __future__ import annotations

from matcher.catalog import sync
from matcher.core.models import MAX_PAGE
from matcher.runtime import Runtime
from tests.factories import World, candidate_body, offer_body


def test_an_external_ref_is_unique_per_employer_never_across_employers(world: World) -> None:
    client = world.client
    mine = client.post(
        "/offers", json=offer_body(world.employer_a, external_ref="REF-1"), headers=world.as_("recruiter")
    )
    assert mine.status_code == 201
    # Another employer may use the same reference, and learns nothing of the first one's.
    theirs = client.post(
        "/offers", json=offer_body(world.employer_b, external_ref="REF-1"), headers=world.as_("other_recruiter")
    )
    assert theirs.status_code == 201
    # The same employer twice: a 409 problem naming the field, in French.
    again = client.post(
        "/offers", json=offer_body(world.employer_a, external_ref="REF-1"), headers=world.as_("recruiter")
    )
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    problem = again.json()
    assert problem["errors"][0]["field"] == "external_ref" and "référence" in problem["detail"]


def test_a_streamed_body_over_the_limit_on_a_json_route_is_413(world: World) -> None:
    chunks = (b'{"title": "' + b"x" * 300_000 for _ in range(4))  # 1.2 MB, no Content-Length: chunked
    response = world.client.post(
        "/offers", content=chunks, headers={**world.as_("recruiter"), "Content-Type": "application/json"}
    )
    assert response.status_code == 413 and response.json()["status"] == 413


def test_change_feed_pages_hold_at_most_200(world: World, rt: Runtime) -> None:
    feed = "/partners/me/offers/changes"
    assert world.client.get(feed, params={"limit": MAX_PAGE + 1}, headers=world.as_("partner")).status_code == 422
    assert world.client.get(feed, params={"limit": MAX_PAGE}, headers=world.as_("partner")).status_code == 200
    items = [
        {"external_id": f"E-{n}", "version": 1, "offer": offer_body(world.employer_a, title=f"Agent {n}")}
        for n in range(MAX_PAGE + 5)
    ]
    assert world.client.put("/partners/me/offers", json=items, headers=world.as_("partner")).status_code == 200
    default = world.client.get(feed, headers=world.as_("partner")).json()
    assert len(default["changes"]) == MAX_PAGE and default["has_more"]
    with rt.store.read() as session:  # whoever calls the domain, a page is capped
        assert len(sync.changes(session, partner_id=world.partner_id, since=0, limit=1_000).changes) == MAX_PAGE


def test_a_work_context_sent_as_a_skill_is_a_problem_naming_the_field(world: World) -> None:
    refused = world.client.post(
        "/candidates", json=candidate_body(skills=["100063", "300803"]), headers=world.as_("admin")
    )
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["errors"][0]["field"] == "skills.1"
    assert "« Travail de nuit » (300803) est un contexte de travail" in problem["detail"]
    assert world.client.get("/candidates", headers=world.as_("admin")).json()["total"] == 0
