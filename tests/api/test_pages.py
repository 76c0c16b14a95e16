"""Pages over the session cookie: sign-in and sign-out, CSRF on every form, redirects and French error pages."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.access import ACCESS
from api.pages import router as pages_router
from matcher.catalog import search
from matcher.catalog.candidates import create_candidate
from matcher.catalog.offers import create_offer
from matcher.core.models import CandidateIn, OfferIn
from matcher.runtime import Runtime
from matcher.shortlists.decisions import list_feedback
from matcher.store.tables import CandidateRow
from tests.factories import PASSWORD, World, candidate_body, offer_body

HTML = {"Accept": "text/html"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the CSRF token of the new session."""
    client.follow_redirects = False  # the tests look at each redirect
    token = csrf_of(client.get("/connexion").text)
    response = client.post("/connexion", data={"email": email, "password": password, "csrf": token})
    assert response.status_code == 303, response.text
    return csrf_of(client.get(response.headers["location"]).text)


def seeded_offer(rt: Runtime, world: World) -> tuple[str, str]:
    with rt.store.transaction() as session:
        offer = create_offer(
            session,
            data=OfferIn.model_validate(offer_body(world.employer_a)),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
        candidate = create_candidate(
            session, data=CandidateIn.model_validate(candidate_body()), taxonomy=rt.taxonomy, geography=rt.geography
        )
    return offer.id, candidate.id


def test_every_page_route_has_a_rule() -> None:
    page_routes = {
        (method, route.path)
        for route in pages_router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert len(page_routes) > 30  # flat routes, so the matrix test of api.app.routes() sees every page
    assert not page_routes - set(ACCESS)


def test_sign_in_and_out(world: World) -> None:
    client = world.client
    assert client.get("/connexion").status_code == 200
    token = sign_in(client, "rh@privas.example.fr")
    offers = client.get("/recruteur/offres")
    assert offers.status_code == 200 and "RH Privas" in offers.text and 'lang="fr"' in offers.text
    cookie = client.cookies.get("approche_session")
    assert cookie
    out = client.post("/deconnexion", data={"csrf": token})
    assert out.status_code == 303 and out.headers["location"] == "/connexion"
    again = client.get("/recruteur/offres", headers=HTML)
    assert again.status_code == 303 and again.headers["location"] == "/connexion?suite=/recruteur/offres"


def test_session_cookie_flags(world: World) -> None:
    world.client.follow_redirects = False
    response = world.client.get("/connexion")
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header


def test_wrong_password_is_refused_in_french(world: World) -> None:
    client = world.client
    client.follow_redirects = False
    token = csrf_of(client.get("/connexion").text)
    response = client.post("/connexion", data={"email": "rh@privas.example.fr", "password": "nope", "csrf": token})
    assert response.status_code == 400 and "mot de passe incorrect" in response.text
    assert client.get("/recruteur/offres", headers=HTML).status_code == 303


def test_sign_in_goes_back_where_asked_but_never_off_site(world: World) -> None:
    client = world.client
    client.follow_redirects = False
    token = csrf_of(client.get("/connexion").text)
    data = {"email": "rh@privas.example.fr", "password": PASSWORD, "csrf": token, "suite": "//evil.example/x"}
    assert client.post("/connexion", data=data).headers["location"] == "/recruteur/offres"


def test_login_itself_needs_the_csrf_token(world: World) -> None:
    client = world.client
    client.follow_redirects = False
    client.get("/connexion")
    response = client.post("/connexion", data={"email": "rh@privas.example.fr", "password": PASSWORD})
    assert response.status_code == 403 and "Formulaire refusé" in response.text
    assert client.get("/recruteur/offres", headers=HTML).status_code == 303  # still signed out


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_decision_without_the_right_token_is_refused_and_changes_nothing(
    rt: Runtime, world: World, token: str | None
) -> None:
    offer_id, candidate_id = seeded_offer(rt, world)
    client = world.client
    sign_in(client, "rh@privas.example.fr")
    data = {"candidate_id": candidate_id, "decision": "contacted"}
    if token is not None:
        data["csrf"] = token
    response = client.post(f"/offres/{offer_id}/decisions", data=data)
    assert response.status_code == 403 and "Formulaire refusé" in response.text
    assert response.headers["content-type"].startswith("text/html")
    with rt.store.read() as session:
        assert list_feedback(session, offer_id=offer_id) == []


def test_alert_with_a_forged_token_is_refused_then_accepted_with_the_real_one(rt: Runtime, world: World) -> None:
    client = world.client
    token = sign_in(client, "camille@example.fr")
    refused = client.post("/candidat/alertes", data={"name": "Jardins", "csrf": "x" + token})
    assert refused.status_code == 403
    seeker = world.account_ids["seeker"]
    with rt.store.read() as session:
        assert search.list_saved(session, account_id=seeker, kind="offers") == []
    accepted = client.post("/candidat/alertes", data={"name": "Jardins", "csrf": token, "frequency": "weekly"})
    assert accepted.status_code == 303
    with rt.store.read() as session:
        assert [s.name for s in search.list_saved(session, account_id=seeker, kind="offers")] == ["Jardins"]


def test_decision_recorded_with_the_session_recruiter(rt: Runtime, world: World) -> None:
    offer_id, candidate_id = seeded_offer(rt, world)
    client = world.client
    token = sign_in(client, "rh@privas.example.fr")
    rejected = client.post(
        f"/offres/{offer_id}/decisions", data={"candidate_id": candidate_id, "decision": "rejected", "csrf": token}
    )
    assert rejected.status_code == 303  # refused with a message: a rejection needs its reason
    with rt.store.read() as session:
        assert list_feedback(session, offer_id=offer_id) == []
    data = {"candidate_id": candidate_id, "decision": "rejected", "reason": "Pas de permis C", "csrf": token}
    assert client.post(f"/offres/{offer_id}/decisions", data=data).status_code == 303
    decisions = world.client.get(f"/offers/{offer_id}/feedback", headers=world.as_("recruiter")).json()
    assert [(d["decision"], d["reason"], d["recruiter_id"]) for d in decisions] == [
        ("rejected", "Pas de permis C", world.account_ids["recruiter"])
    ]


def test_other_employer_gets_the_french_404_page(rt: Runtime, world: World) -> None:
    offer_id, _ = seeded_offer(rt, world)
    client = world.client
    sign_in(client, "rh@aubenas.example.fr")
    response = client.get(f"/offres/{offer_id}")
    assert response.status_code == 404 and "Page introuvable" in response.text


def test_wrong_role_gets_the_french_403_page(world: World) -> None:
    client = world.client
    sign_in(client, "camille@example.fr")
    response = client.get("/admin/comptes")
    assert response.status_code == 403 and "Accès refusé" in response.text


def test_api_clients_keep_problem_json(world: World) -> None:
    world.client.follow_redirects = False
    response = world.client.get("/offers", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
    unknown = world.client.get("/nowhere", headers={"Accept": "application/json"})
    assert unknown.headers["content-type"] == "application/problem+json"
    page = world.client.get("/nowhere", headers=HTML)
    assert page.status_code == 404 and "Page introuvable" in page.text


def test_admin_pages_and_key_shown_once(world: World) -> None:
    client = world.client
    token = sign_in(client, "admin@example.fr")
    for path in ("/admin/employeurs", "/admin/comptes", "/admin/partenaires", f"/admin/partenaires/{world.partner_id}"):
        assert client.get(path).status_code == 200, path
    issued = client.post(f"/admin/partenaires/{world.partner_id}/cles", data={"label": "recette", "csrf": token})
    assert issued.status_code == 201
    key = re.search(r'value="(adk_[^"]+)"', issued.text)
    assert key and world.client.get("/partners/me", headers={"X-API-Key": key.group(1)}).status_code == 200
    assert key.group(1) not in client.get(f"/admin/partenaires/{world.partner_id}").text


def _profile_form(token: str, **changes: object) -> dict[str, object]:
    """The seeker's profile form as a browser posts it: a gardener's, with ``changes``."""
    return {
        "csrf": token,
        "display_name": "Camille",
        "title": "Jardinier paysagiste",
        "occupation_new": "Jardinier paysagiste",
        "skill_new": "100063",
        "commune_new": "07200",
        "radius_km": "40",
        "contract_types": ["contractuel"],
        "visibility": "employers",
        **changes,
    }


def test_seeker_creates_a_profile_and_sees_matches(world: World) -> None:
    client = world.client
    token = sign_in(client, "camille@example.fr")
    saved = client.post("/candidat/profil", data=_profile_form(token, talent_pool="oui"))
    assert saved.status_code == 303 and saved.headers["location"] == "/candidat/offres"
    profile = world.client.get("/me/profile", headers=world.as_("seeker")).json()
    assert profile["desired_occupations"] and profile["skills"] == ["100063"] and profile["visibility"] == "employers"
    assert client.get("/candidat/offres").status_code == 200
    export = client.get("/candidat/donnees/export")
    assert (
        export.headers["content-disposition"].startswith("attachment") and export.json()["consent"]["talent_pool_since"]
    )


def test_a_work_context_typed_as_a_skill_is_named_as_such_and_nothing_is_saved(world: World) -> None:
    client = world.client
    token = sign_in(client, "camille@example.fr")
    # ROME's work context 300803, typed as the seeker would
    form = _profile_form(token, title="Infirmier", occupation_new="Infirmier", skill_new="travail de NUIT")
    refused = client.post("/candidat/profil", data=form)
    assert refused.status_code == 422
    assert "« Travail de nuit » est une condition de travail, pas une compétence" in html.unescape(refused.text)
    assert world.client.get("/me/profile", headers=world.as_("seeker")).status_code == 404
    unknown = client.post("/candidat/profil", data={**form, "skill_new": "jonglage quantique"})
    assert unknown.status_code == 422 and "Compétence inconnue : « jonglage quantique »" in html.unescape(unknown.text)


def test_a_work_context_stored_before_contexts_were_refused_leaves_the_form_and_the_profile(
    rt: Runtime, world: World
) -> None:
    client = world.client
    token = sign_in(client, "camille@example.fr")
    assert client.post("/candidat/profil", data=_profile_form(token)).status_code == 303
    with rt.store.transaction() as session:  # as a profile saved before 30 November 2026 could hold it
        row = session.scalars(select(CandidateRow)).one()
        row.skills = [*row.skills, "300803"]  # ROME's work context "Travail de nuit"
    page = client.get("/candidat/profil")
    ticked = re.findall(r'name="skills" value="(\w+)" checked', page.text)
    assert ticked == ["100063"] and "Travail de nuit" not in page.text
    # Sent back as the page shows it (the skills ticked, nothing new typed), the profile is saved without it.
    form = {**_profile_form(token, occupation_new="", skill_new="", commune_new=""), "skills": ticked}
    form["occupations"] = re.findall(r'name="occupations" value="(\w+)" checked', page.text)
    form["communes"] = re.findall(r'name="communes" value="(\w+)" checked', page.text)
    assert client.post("/candidat/profil", data=form).status_code == 303
    assert world.client.get("/me/profile", headers=world.as_("seeker")).json()["skills"] == ["100063"]


def test_the_session_cookie_opens_pages_but_never_the_json_api(world: World) -> None:
    client = world.client
    sign_in(client, "rh@privas.example.fr")
    assert client.get("/recruteur/offres", follow_redirects=False).status_code == 200
    api = client.get("/offers")  # same browser, same cookie: the API wants a bearer token or a key
    assert api.status_code == 401 and api.headers["content-type"] == "application/problem+json"


def test_admin_turns_ai_ranking_off_from_the_page_and_the_api_sees_it(world: World) -> None:
    client = world.client
    token = sign_in(client, "admin@example.fr")
    response = client.post(
        f"/admin/employeurs/{world.employer_a}",
        data={"csrf": token, "ai_ranking": "", "webhook_url": "https://rh.example.fr/hook", "webhook_secret": "x" * 20},
        follow_redirects=False,
    )
    assert response.status_code == 303
    seen = world.client.get(f"/employers/{world.employer_a}/settings", headers=world.as_("admin")).json()
    assert (
        seen["ai_ranking"] is False
        and seen["webhook_url"] == "https://rh.example.fr/hook"
        and seen["webhook_secret_set"]
    )


def test_with_ai_ranking_off_the_shortlist_is_a_plain_search_on_the_api_and_the_page(world: World) -> None:
    client, hr = world.client, world.as_("recruiter")
    assert (
        client.patch(f"/employers/{world.employer_a}/settings", json={"ai_ranking": False}, headers=hr).status_code
        == 200
    )
    offer = client.post("/offers", json=offer_body(world.employer_a), headers=hr).json()
    client.post("/candidates", json=candidate_body(), headers=world.as_("admin"))
    built = client.post(f"/offers/{offer['id']}/shortlists", headers=hr).json()
    page = client.get(built["href"], headers=hr).json()
    assert page["ranking"] == "search" and page["model_version"] is None
    assert page["places"] and all(p["score"] is None for p in page["places"])
    sign_in(client, "rh@privas.example.fr")
    html = client.get(f"/offres/{offer['id']}")
    assert html.status_code == 200 and "classement IA désactivé" in html.text


def test_the_webhook_page_names_each_deliverys_employer_and_shows_only_its_own(world: World) -> None:
    hr = world.as_("recruiter")
    hook = {"webhook_url": "http://127.0.0.1:9/hook", "webhook_secret": "s" * 32}
    assert world.client.patch(f"/employers/{world.employer_a}/settings", json=hook, headers=hr).status_code == 200
    offer = world.client.post("/offers", json=offer_body(world.employer_a), headers=hr).json()
    assert world.client.post(f"/offers/{offer['id']}/shortlists", headers=hr).status_code == 201
    privas, aubenas = TestClient(world.client.app), TestClient(world.client.app)
    sign_in(privas, "rh@privas.example.fr")
    page = privas.get("/recruteur/webhooks").text
    assert "<td>Commune de Privas</td>" in page and "shortlist.built" in page and "Aucun envoi" not in page
    sign_in(aubenas, "rh@aubenas.example.fr")
    theirs = aubenas.get("/recruteur/webhooks").text
    assert "Aucun envoi pour le moment." in theirs and "shortlist.built" not in theirs
