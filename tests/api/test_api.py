"""The HTTP API through the app: resources, shortlists, matches, and problem+json errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.runtime import Runtime
from matcher.store.tables import OfferRow, OutboxRow
from tests.unit.test_services import count

PROBLEM = "application/problem+json"


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt)) as test_client:
        yield test_client


@pytest.fixture
def employer_id(client: TestClient) -> str:
    response = client.post(
        "/employers", json={"name": "Commune de Privas", "kind": "commune", "commune_insee": "07186"}
    )
    assert response.status_code == 201
    return str(response.json()["id"])


def offer_body(employer_id: str, **changes: object) -> dict:
    return {
        "title": "Jardinier / Jardinière",
        "description": "Entretien des espaces verts et fleurissement.",
        "employer_id": employer_id,
        "commune_insee": "07186",
        "contract_types": ["contractuel"],
        "rome_code": "A1203",
        "required_skills": ["100063"],
        **changes,
    }


def candidate_body(**changes: object) -> dict:
    return {
        "display_name": "Camille",
        "title": "Jardinier paysagiste",
        "desired_occupations": ["A1203"],
        "skills": ["100063"],
        "contract_types": ["contractuel", "cdd"],
        "visibility": "employers",
        "mobility": {"communes": ["07019"], "radius_km": 40},
        **changes,
    }


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["store"] == "ok" and set(body["index"]) == {"offers", "candidates"}


def test_offer_lifecycle_and_shortlist(client: TestClient, employer_id: str) -> None:
    created = client.post("/offers", json=offer_body(employer_id))
    assert created.status_code == 201
    offer = created.json()
    assert created.headers["location"] == f"/offers/{offer['id']}" and offer["version"] == 1
    candidate = client.post("/candidates", json=candidate_body()).json()
    # The background indexing ran after each response: the shortlist finds the candidate.
    shortlist = client.get(f"/offers/{offer['id']}/shortlist").json()
    assert [e["candidate_id"] for e in shortlist["entries"]] == [candidate["id"]]
    entry = shortlist["entries"][0]
    assert sum(c["contribution"] for c in entry["explanation"]["contributions"]) == pytest.approx(entry["score"])
    assert entry["explanation"]["matched_skills"] == ["Tailler les arbres"]
    assert "display_name" not in entry  # shortlists carry no name: the recruiter opens the profile if needed
    matches = client.get(f"/candidates/{candidate['id']}/matches").json()
    assert [m["offer_id"] for m in matches["entries"]] == [offer["id"]]

    decision = client.post(
        f"/offers/{offer['id']}/feedback", json={"candidate_id": candidate["id"], "decision": "rejected"}
    )
    assert decision.status_code == 422 and decision.json()["errors"][0]["field"] == "reason"
    decision = client.post(
        f"/offers/{offer['id']}/feedback", json={"candidate_id": candidate["id"], "decision": "interview"}
    )
    assert decision.status_code == 201 and decision.json()["decision"] == "interview"
    assert [f["decision"] for f in client.get(f"/offers/{offer['id']}/feedback").json()] == ["interview"]

    updated = client.put(f"/offers/{offer['id']}", json=offer_body(employer_id, title="Chef jardinier"))
    assert updated.json()["version"] == 2
    assert client.get(f"/offers/{offer['id']}").json()["title"] == "Chef jardinier"
    assert client.delete(f"/offers/{offer['id']}").status_code == 204
    assert client.get(f"/offers/{offer['id']}").status_code == 404
    assert client.get("/health").json()["index"]["offers"] == 0


def test_unknown_commune_is_a_problem_naming_the_field_and_nothing_is_written(
    client: TestClient, employer_id: str, rt: Runtime
) -> None:
    response = client.post("/offers", json=offer_body(employer_id, commune_insee="99999"))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422 and problem["errors"][0]["field"] == "commune_insee"
    assert "99999" in problem["detail"]
    assert count(rt, OfferRow) == 0 and count(rt, OutboxRow) == 0


def test_malformed_offer_lists_every_faulty_field(client: TestClient, employer_id: str) -> None:
    response = client.post(
        "/offers",
        json={**offer_body(employer_id), "contract_types": ["temps partiel"], "salary": {"minimum": -1}, "hacker": 1},
    )
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"contract_types.0", "salary.minimum", "hacker"} <= fields


def test_unknown_ids_are_404_problems(client: TestClient) -> None:
    for path in ("/offers/nope", "/offers/nope/shortlist", "/candidates/nope", "/candidates/nope/matches"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["title"] == "Ressource introuvable"
    assert client.get("/does-not-exist").headers["content-type"] == PROBLEM


def test_bad_query_parameters(client: TestClient) -> None:
    response = client.get("/offers", params={"limit": 10_000})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "limit"


def test_reference_lookups(client: TestClient) -> None:
    communes = client.get("/reference/communes", params={"q": "07200"}).json()
    assert communes[0]["name"] == "Aubenas" and communes[0]["insee"] == "07019"
    titles = client.get("/reference/job-titles", params={"q": "jardinier"}).json()
    assert titles and all("ardinier" in t["label"] for t in titles)


def test_openapi_and_pages(client: TestClient, employer_id: str) -> None:
    assert "/offers/{offer_id}/shortlist" in client.get("/openapi.json").json()["paths"]
    offer = client.post("/offers", json=offer_body(employer_id)).json()
    home = client.get("/")
    assert home.status_code == 200 and "Offres publiées" in home.text and offer["title"] in home.text
    card = client.get("/modele")
    assert card.status_code == 200 and "Limites connues" in card.text and "225-1" in card.text
    page = client.get(f"/offres/{offer['id']}")
    assert page.status_code == 200 and "Présélection" in page.text and 'lang="fr"' in page.text
