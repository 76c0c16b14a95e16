"""The HTTP API through the app: resources, shortlists, matches, and problem+json errors."""

from __future__ import annotations

import pytest

from matcher.runtime import Runtime
from matcher.store.tables import AuditRow, OfferRow, OutboxRow, ShortlistRow
from tests.factories import World, candidate_body, count, offer_body

PROBLEM = "application/problem+json"


def test_health_is_public(world: World) -> None:
    body = world.client.get("/health").json()
    assert body["status"] == "ok" and body["store"] == "ok" and set(body["index"]) == {"offers", "candidates"}


def test_offer_lifecycle_shortlist_and_decision(world: World, rt: Runtime) -> None:
    client, hr = world.client, world.as_("recruiter")
    created = client.post("/offers", json=offer_body(world.employer_a), headers=hr)
    assert created.status_code == 201
    offer = created.json()
    assert created.headers["location"] == f"/offers/{offer['id']}" and offer["version"] == 1
    candidate = client.post("/candidates", json=candidate_body(), headers=world.as_("admin")).json()

    # The background indexing ran after each response: the shortlist finds the candidate.
    built = client.post(f"/offers/{offer['id']}/shortlists", json={"size": 5}, headers=hr)
    assert built.status_code == 201
    href = built.headers["location"]
    page = client.get(href, headers=hr).json()
    assert page["total"] == 1 and page["ranking"] == "model" and page["model_version"]
    place = page["places"][0]
    assert place["candidate_id"] == candidate["id"] and place["display_name"] == "Camille"
    assert sum(c["contribution"] for c in place["explanation"]["contributions"]) == pytest.approx(place["score"])
    assert place["explanation"]["matched_skills"] == ["Tailler les arbres"]
    assert client.get(f"/offers/{offer['id']}/shortlists/latest", headers=hr).json()["id"] == page["id"]
    assert [s["id"] for s in client.get(f"/offers/{offer['id']}/shortlists", headers=hr).json()] == [page["id"]]
    # Built and viewed twice: three audit rows; the shortlist row keeps ids and scores, not names.
    assert count(rt, AuditRow) == 3 and count(rt, ShortlistRow) == 1
    with rt.store.read() as session:
        kept = session.get(ShortlistRow, page["id"])
        assert kept is not None and "Camille" not in str(kept.entries)

    feedback = f"/offers/{offer['id']}/feedback"
    rejected = client.post(feedback, json={"candidate_id": candidate["id"], "decision": "rejected"}, headers=hr)
    assert rejected.status_code == 422 and rejected.json()["errors"][0]["field"] == "reason"
    decision = client.post(feedback, json={"candidate_id": candidate["id"], "decision": "interview"}, headers=hr)
    assert decision.status_code == 201 and decision.json()["decision"] == "interview"
    assert decision.json()["recruiter_id"] == world.account_ids["recruiter"]  # who decided is never taken from the body
    assert [f["decision"] for f in client.get(feedback, headers=hr).json()] == ["interview"]
    assert client.get(href, headers=hr).json()["places"][0]["decision"] == "interview"

    updated = client.put(
        f"/offers/{offer['id']}", json=offer_body(world.employer_a, title="Chef jardinier"), headers=hr
    )
    assert updated.json()["version"] == 2
    closed = client.post(f"/offers/{offer['id']}/close", headers=hr).json()
    assert closed["status"] == "closed" and closed["version"] == 3
    with rt.store.read() as session:
        row = session.get(OfferRow, offer["id"])
        assert row is not None and row.closed_at is not None  # the retention clock starts
    assert client.post(f"/offers/{offer['id']}/publish", headers=hr).json()["status"] == "published"
    assert client.delete(f"/offers/{offer['id']}", headers=hr).status_code == 204
    assert client.get(f"/offers/{offer['id']}", headers=hr).status_code == 404
    assert client.get("/health").json()["index"]["offers"] == 0


def test_matches_for_a_seeker_and_hidden_profiles(world: World) -> None:
    client, seeker = world.client, world.as_("seeker")
    offer = client.post("/offers", json=offer_body(world.employer_a), headers=world.as_("recruiter")).json()
    assert client.get("/me/profile", headers=seeker).status_code == 404
    profile = client.post("/me/profile", json=candidate_body(visibility="private"), headers=seeker)
    assert profile.status_code == 201
    assert client.post("/me/profile", json=candidate_body(), headers=seeker).status_code == 409
    matches = client.get("/me/matches", headers=seeker).json()
    assert [m["offer_id"] for m in matches["entries"]] == [offer["id"]]
    # A private profile never reaches recruiters: not in shortlists, not readable.
    hr = world.as_("recruiter")
    built = client.post(f"/offers/{offer['id']}/shortlists", headers=hr).json()
    assert client.get(built["href"], headers=hr).json()["total"] == 0
    assert client.get(f"/candidates/{profile.json()['id']}", headers=hr).status_code == 404
    # Once opened to employers (consent recorded), it is.
    opened = client.put("/me/profile", json=candidate_body(), headers=seeker).json()
    assert opened["consented_at"] is not None
    built = client.post(f"/offers/{offer['id']}/shortlists", headers=hr).json()
    assert client.get(built["href"], headers=hr).json()["places"][0]["candidate_id"] == opened["id"]
    card = client.get(f"/candidates/{opened['id']}", headers=hr).json()
    assert card["display_name"] == "Camille" and "consented_at" not in card and "visibility" not in card


def test_unknown_commune_is_a_problem_naming_the_field_and_nothing_is_written(world: World, rt: Runtime) -> None:
    response = world.client.post(
        "/offers", json=offer_body(world.employer_a, commune_insee="99999"), headers=world.as_("recruiter")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422 and problem["errors"][0]["field"] == "commune_insee"
    assert "99999" in problem["detail"]
    assert count(rt, OfferRow) == 0 and count(rt, OutboxRow) == 0


def test_malformed_offer_lists_every_faulty_field(world: World) -> None:
    response = world.client.post(
        "/offers",
        json={**offer_body(world.employer_a), "contract_types": ["temps partiel"], "salary": {"minimum": -1}, "x": 1},
        headers=world.as_("recruiter"),
    )
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"contract_types.0", "salary.minimum", "x"} <= fields


def test_unknown_ids_are_404_problems(world: World) -> None:
    for who, path in (
        ("recruiter", "/offers/nope"),
        ("recruiter", "/offers/nope/shortlists/latest"),
        ("recruiter", "/candidates/nope"),
        ("admin", "/candidates/nope/matches"),
    ):
        response = world.client.get(path, headers=world.as_(who))
        assert response.status_code == 404, path
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["title"] == "Ressource introuvable"
    assert world.client.get("/does-not-exist").headers["content-type"] == PROBLEM


def test_bad_query_parameters(world: World) -> None:
    response = world.client.get("/offers", params={"limit": 10_000}, headers=world.as_("recruiter"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "limit"


def test_reference_lookups(world: World) -> None:
    client = world.client
    communes = client.get("/reference/communes", params={"q": "07200"}).json()
    assert communes[0]["name"] == "Aubenas" and communes[0]["insee"] == "07019"
    titles = client.get("/reference/job-titles", params={"q": "jardinier"}).json()
    assert titles and all("ardinier" in t["label"] for t in titles)
    skills = client.get("/reference/skills", params={"q": "taill arbre"}).json()
    assert any(s["label"] == "Tailler les arbres" for s in skills)
    # Work contexts are conditions of a job, not skills a person lists: the autocomplete never offers them.
    assert client.get("/reference/skills", params={"q": "travail nuit"}).json() == []  # only "Travail de nuit"
    work = client.get("/reference/skills", params={"q": "travail", "limit": 50}).json()
    assert len(work) == 50 and all(s["kind"] != "contexte" for s in work)


def test_job_posting_export(world: World) -> None:
    hr = world.as_("recruiter")
    offer = world.client.post(
        "/offers", json=offer_body(world.employer_a, salary={"minimum": 24000, "maximum": 28000}), headers=hr
    ).json()
    response = world.client.get(f"/offers/{offer['id']}/jobposting", headers=hr)
    assert response.headers["content-type"].startswith("application/ld+json")
    posting = response.json()
    assert posting["@type"] == "JobPosting" and posting["title"] == offer["title"]
    assert posting["jobLocation"]["address"]["addressLocality"] == "Privas"
    assert posting["hiringOrganization"]["name"] == "Commune de Privas"
    assert posting["baseSalary"]["value"]["minValue"] == 24000


def test_openapi_and_pages(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    assert "/offers/{offer_id}/shortlists" in paths and "/partners/me/offers" in paths
    card = world.client.get("/modele")
    assert card.status_code == 200 and "Limites connues" in card.text


def test_transparency_statements_and_audit_check(world: World, rt: Runtime) -> None:
    client, hr, seeker = world.client, world.as_("recruiter"), world.as_("seeker")
    offer = client.post("/offers", json=offer_body(world.employer_a), headers=hr).json()
    mine = client.post("/me/profile", json=candidate_body(), headers=seeker).json()
    built = client.post(f"/offers/{offer['id']}/shortlists", headers=hr).json()
    statement = client.get(f"{built['href']}/candidates/{mine['id']}/statement", headers=hr).json()
    assert statement["texte"].startswith("Traitement algorithmique") and "Aide à la décision" in statement["texte"]
    assert statement["rang"] == 1
    assert client.get(f"{built['href']}/candidates/nobody/statement", headers=hr).status_code == 404
    about_me = client.get("/me/explanations", headers=seeker).json()
    assert [s["shortlist_id"] for s in about_me] == [built["shortlist"]["id"]]
    check = client.get("/audit/verify", headers=world.as_("admin")).json()
    assert check["ok"] is True and check["checked"] >= 1 and len(check["head"]) == 64
    # Once the person withdraws, their place is out of sight, statement included.
    client.put("/me/profile", json=candidate_body(visibility="private"), headers=seeker)
    assert client.get(f"{built['href']}/candidates/{mine['id']}/statement", headers=hr).status_code == 404


def test_webhook_settings_and_deliveries_are_visible_to_that_employer_only(world: World) -> None:
    client, hr = world.client, world.as_("recruiter")
    settings_url = f"/employers/{world.employer_a}/settings"
    secret = "s" * 32
    saved = client.patch(
        settings_url, json={"webhook_url": "http://127.0.0.1:9/hook", "webhook_secret": secret}, headers=hr
    )
    assert saved.status_code == 200 and saved.json()["webhook_secret_set"] is True and secret not in saved.text
    offer = client.post("/offers", json=offer_body(world.employer_a), headers=hr).json()
    built = client.post(f"/offers/{offer['id']}/shortlists", headers=hr).json()
    deliveries = client.get(f"/employers/{world.employer_a}/deliveries", headers=hr).json()
    assert [d["subject_id"] for d in deliveries] == [built["shortlist"]["id"]]
    assert deliveries[0]["event"] == "shortlist.built"
    theirs = world.as_("other_recruiter")
    assert client.get(f"/employers/{world.employer_a}/deliveries", headers=theirs).status_code == 404


def test_a_webhook_url_into_our_network_or_over_http_is_refused(world: World, rt: Runtime) -> None:
    rt.settings.webhook_allow_private = False  # the default (the shared settings allow local receivers)
    client, hr = world.client, world.as_("recruiter")
    settings_url = f"/employers/{world.employer_a}/settings"
    for url in (
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/",
        "http://93.184.216.34/",
    ):
        refused = client.patch(settings_url, json={"webhook_url": url, "webhook_secret": "s" * 32}, headers=hr)
        assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM, url
        assert refused.json()["errors"][0]["field"] == "webhook_url", url
    assert client.get(settings_url, headers=hr).json()["webhook_url"] is None  # nothing saved


def test_an_erased_profile_is_gone_for_good_over_http(world: World) -> None:
    client, admin = world.client, world.as_("admin")
    created = client.post("/candidates", json=candidate_body(), headers=admin).json()
    assert client.delete(f"/candidates/{created['id']}", headers=admin).status_code == 204
    replayed = client.put(f"/candidates/{created['id']}", json=candidate_body(), headers=admin)
    assert replayed.status_code == 410 and replayed.headers["content-type"] == PROBLEM
    assert "effacé" in replayed.json()["detail"]
    assert client.get(f"/candidates/{created['id']}", headers=world.as_("recruiter")).status_code == 404


def test_put_me_profile_before_any_profile_is_not_found_and_creates_nothing(world: World) -> None:
    client, seeker = world.client, world.as_("seeker")
    refused = client.put("/me/profile", json=candidate_body(), headers=seeker)
    assert refused.status_code == 404 and refused.headers["content-type"] == PROBLEM
    assert client.get("/me/profile", headers=seeker).status_code == 404
    assert client.post("/me/profile", json=candidate_body(), headers=seeker).status_code == 201
