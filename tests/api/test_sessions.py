"""Page sessions end on the server: signing out, a new password or a disabled account ends every copy of the cookie."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from matcher.access import accounts
from matcher.runtime import Runtime
from tests.factories import PASSWORD, World

HTML = {"Accept": "text/html"}
COOKIE = "approche_session"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def _signed_in(world: World, email: str) -> tuple[TestClient, str]:
    """A browser signed in through the form: the client and the session's CSRF token."""
    client = TestClient(world.client.app, follow_redirects=False)
    token = _csrf(client.get("/connexion").text)
    response = client.post("/connexion", data={"email": email, "password": PASSWORD, "csrf": token})
    assert response.status_code == 303, response.text
    return client, _csrf(client.get(response.headers["location"]).text)


def _copy(world: World, client: TestClient) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie (a stolen or a forgotten one)."""
    copy = TestClient(world.client.app, follow_redirects=False)
    copy.cookies.set(COOKIE, client.cookies[COOKIE])
    return copy


def _opens(client: TestClient, path: str) -> bool:
    response = client.get(path, headers=HTML)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/connexion")
        return False
    assert response.status_code == 200, response.text
    return True


def test_signing_out_ends_the_session_everywhere(world: World) -> None:
    browser, csrf = _signed_in(world, "rh@privas.example.fr")
    stolen = _copy(world, browser)
    assert _opens(stolen, "/recruteur/offres")
    token = world.client.post("/auth/token", data={"username": "rh@privas.example.fr", "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert world.client.get("/me", headers=bearer).status_code == 200
    assert browser.post("/deconnexion", data={"csrf": csrf}).status_code == 303
    assert not _opens(stolen, "/recruteur/offres")  # the copied cookie is worth nothing now
    assert world.client.get("/me", headers=bearer).status_code == 401  # nor a token taken before
    assert not _opens(browser, "/recruteur/offres")
    again, _ = _signed_in(world, "rh@privas.example.fr")  # signing in again opens a new session
    assert _opens(again, "/recruteur/offres")


def test_disabling_an_account_ends_its_sessions_for_good(world: World) -> None:
    browser, _ = _signed_in(world, "rh@privas.example.fr")
    account_id, admin = world.account_ids["recruiter"], world.as_("admin")
    assert world.client.post(f"/accounts/{account_id}/disable", headers=admin).status_code == 200
    assert not _opens(_copy(world, browser), "/recruteur/offres")
    assert world.client.post(f"/accounts/{account_id}/enable", headers=admin).status_code == 200
    assert not _opens(_copy(world, browser), "/recruteur/offres")  # enabling again revives no old session


def test_a_new_password_ends_the_sessions(world: World, rt: Runtime) -> None:
    browser, _ = _signed_in(world, "camille@example.fr")
    copy = _copy(world, browser)
    assert _opens(copy, "/candidat/profil")
    principal = accounts.principal_for_account(rt, account_id=world.account_ids["seeker"])
    assert principal is not None
    accounts.change_password(rt, principal=principal, current=PASSWORD, new="un tout autre mot de passe")
    assert not _opens(copy, "/candidat/profil")
    assert not _opens(browser, "/candidat/profil")


def test_changing_ones_password_through_the_api_ends_the_page_sessions(world: World) -> None:
    browser, _ = _signed_in(world, "rh@privas.example.fr")
    client, headers = world.client, world.as_("recruiter")
    wrong = client.post(
        "/auth/password", json={"current_password": "pas le bon", "new_password": "x" * 12}, headers=headers
    )
    assert wrong.status_code == 401 and _opens(browser, "/recruteur/offres")
    short = client.post("/auth/password", json={"current_password": PASSWORD, "new_password": "court"}, headers=headers)
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "new_password"
    new = "une phrase de passe neuve"
    changed = client.post("/auth/password", json={"current_password": PASSWORD, "new_password": new}, headers=headers)
    assert changed.status_code == 204
    assert not _opens(browser, "/recruteur/offres")
    assert client.get("/me", headers=headers).status_code == 401  # bearer tokens issued before end too
    signed_in = client.post("/auth/token", data={"username": "rh@privas.example.fr", "password": new})
    assert signed_in.status_code == 200
    fresh = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    assert client.get("/me", headers=fresh).status_code == 200
    old = client.post("/auth/token", data={"username": "rh@privas.example.fr", "password": PASSWORD})
    assert old.status_code == 401
