"""Error documents: never a 500 for bad input or an outage, one shape, in French, naming line, item and field."""

from __future__ import annotations

import json

import pytest

from indices.elasticsearch import ElasticsearchBackend
from indices.settings import SearchSettings
from matcher.runtime import Runtime
from tests.factories import World, offer_body

PROBLEM = "application/problem+json"


def _listing(world: World, n: int) -> dict:
    return {"external_id": f"ext-{n}", "version": 1, "offer": offer_body(world.employer_a, title=f"Agent {n}")}


def _put_sync(world: World, body: bytes, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
    headers = {**world.as_("partner"), "Content-Type": content_type}
    return world.client.put("/partners/me/offers", content=body, headers=headers)


def test_deep_nesting_on_the_sync_path_is_a_400_not_a_500(world: World) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    for body, media in ((deep, "application/json"), (b'{"external_id": "x"}\n' + deep, "application/x-ndjson")):
        response = _put_sync(world, body, media)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == PROBLEM
        assert "imbriquée" in response.json()["detail"]
    nested: object = 1
    for _ in range(40):  # within the depth the body reader takes: the item alone is refused
        nested = [nested]
    nested_offer = [{**_listing(world, 1), "offer": {**offer_body(world.employer_a), "title": {"a": nested}}}]
    report = _put_sync(world, json.dumps(nested_offer).encode())
    assert report.status_code == 200 and report.json()["items"][0]["errors"][0]["field"] == "offer.title"


def test_a_huge_cursor_on_the_change_feed_is_a_422(world: World) -> None:
    response = world.client.get("/partners/me/offers/changes", params={"since": 10**30}, headers=world.as_("partner"))
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "since" and error["message"].startswith("doit être inférieur ou égal à")
    huge_version = [{**_listing(world, 1), "version": 10**30}]
    item = _put_sync(world, json.dumps(huge_version).encode()).json()["items"][0]
    assert item["status"] == "rejected" and item["errors"][0]["field"] == "version"


def test_candidate_search_while_the_search_engine_is_down_is_a_503_with_retry_after(world: World, rt: Runtime) -> None:
    original = rt.backend
    # A real Elasticsearch client against a port nobody listens on: connection refused, as when the node is down.
    rt.backend = ElasticsearchBackend(SearchSettings(url="http://127.0.0.1:9", max_retries=0, request_timeout=2))
    try:
        response = world.client.post("/candidates/search", json={"query": "jardinier"}, headers=world.as_("recruiter"))
    finally:
        rt.backend = original
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0 and response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/unavailable"


def test_a_json_lines_error_names_its_line_and_item(world: World) -> None:
    lines = [_listing(world, 1), _listing(world, 2)]
    body = "\n".join(json.dumps(x) for x in lines) + '\n{"external_id": "ext-3", "version": }\n'
    response = _put_sync(world, body.encode(), "application/x-ndjson")
    assert response.status_code == 400 and response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "/problems/unreadable"
    [error] = problem["errors"]
    assert (error["field"], error["line"]) == ("items.2", 3)
    assert "ligne 3" in problem["detail"] and "valeur attendue" in problem["detail"]


def test_a_json_array_error_names_its_line_and_item(world: World) -> None:
    body = b'[\n  {"external_id": "a", "version": 1, "deleted": true},\n  {"external_id": "b" "version": 1}\n]'
    problem = _put_sync(world, body).json()
    assert problem["status"] == 400 and problem["errors"][0]["field"] == "items.1"
    assert problem["errors"][0]["line"] == 3 and "ligne 3" in problem["detail"]
    # A JSON route FastAPI reads: the same document.
    json_headers = {**world.as_("recruiter"), "Content-Type": "application/json"}
    broken = world.client.post("/offers", content=b'{"title": "x",\n "employer_id": }', headers=json_headers)
    assert broken.status_code == 400 and broken.json()["type"] == "/problems/unreadable"
    assert broken.json()["errors"][0]["line"] == 2


@pytest.mark.parametrize(
    ("path", "method", "media", "role"),
    [
        ("/offers", "POST", "text/plain", "recruiter"),
        ("/partners/me/offers", "PUT", "text/csv", "partner"),
        ("/auth/token", "POST", "application/json", "anonymous"),
    ],
)
def test_a_wrong_content_type_is_a_415(world: World, path: str, method: str, media: str, role: str) -> None:
    body = json.dumps(offer_body(world.employer_a)).encode()
    response = world.client.request(method, path, content=body, headers={**world.as_(role), "Content-Type": media})
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "content-type" and media in response.json()["detail"]


def test_a_cross_field_error_names_its_field(world: World) -> None:
    hr = world.as_("recruiter")
    body = offer_body(world.employer_a, published_at="2026-12-01", closes_at="2026-11-01")
    response = world.client.post("/offers", json=body, headers=hr)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "closes_at" and error["message"] == "la date de clôture précède la date de publication"
    salary = world.client.post(
        "/offers", json=offer_body(world.employer_a, salary={"minimum": 30000, "maximum": 20000}), headers=hr
    )
    assert salary.json()["errors"][0]["field"] == "salary.maximum"
    synced = _put_sync(world, json.dumps([{**_listing(world, 4), "offer": body}]).encode()).json()
    assert synced["items"][0]["errors"][0]["field"] == "offer.closes_at"


def test_pydantic_messages_are_french_with_their_constraints_and_paths_have_one_shape(world: World) -> None:
    hr = world.as_("recruiter")
    body = offer_body(world.employer_a, title="x" * 201, experience_years=-1, contract_types=["zz"])
    del body["commune_insee"]
    errors = {e["field"]: e["message"] for e in world.client.post("/offers", json=body, headers=hr).json()["errors"]}
    assert errors["title"] == "au plus 200 caractères"
    assert errors["experience_years"] == "doit être supérieur ou égal à 0"
    assert errors["commune_insee"] == "champ obligatoire"
    assert errors["contract_types.0"].startswith("valeur non admise (valeurs possibles : 'fonctionnaire'")
    assert " ou 'stage'" in errors["contract_types.0"]
    limit = world.client.get("/offers", params={"limit": "beaucoup"}, headers=hr).json()["errors"][0]
    assert (limit["field"], limit["message"]) == ("limit", "un nombre entier est attendu")
    profile = {
        "display_name": "Camille",
        "title": "Jardinier",
        "desired_occupations": ["A1203"],
        "contract_types": ["contractuel"],
        "visibility": "private",
        "mobility": {"communes": ["07019", "7"], "radius_km": 40},
    }
    refused = world.client.put("/me/profile", json=profile, headers=world.as_("seeker")).json()
    assert (refused["errors"][0]["field"], refused["errors"][0]["message"]) == (
        "mobility.communes.1",
        "format invalide",
    )
    untitled = [{**_listing(world, 5), "offer": {**offer_body(world.employer_a), "title": ""}}]
    item = _put_sync(world, json.dumps(untitled).encode())
    assert item.json()["items"][0]["errors"][0] == {"field": "offer.title", "message": "au moins 1 caractère(s)"}


def test_unknown_routes_and_methods_answer_in_french(world: World) -> None:
    missing = world.client.get("/nulle-part", headers=world.as_("recruiter"))
    assert missing.status_code == 404 and missing.json()["detail"] == "Aucune ressource à cette adresse."


def test_a_job_posting_refused_by_the_offer_model_says_why_in_french(world: World) -> None:
    posting = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "identifier": "jp-7",
        "title": "Agent d'accueil",
        "datePosted": "2026-11-20",
        "validThrough": "2026-11-02",
        "employmentType": "TEMPORARY",
        "hiringOrganization": {"@type": "Organization", "identifier": world.employer_a},
        "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "postalCode": "07000"}},
    }
    [item] = _put_sync(world, json.dumps([posting]).encode()).json()["items"]
    assert item["errors"][0] == {"field": "closes_at", "message": "la date de clôture précède la date de publication"}
