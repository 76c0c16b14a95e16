"""Accounts: one profile per account, one canonical e-mail per person, and sign-in limited per address."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from matcher.access.accounts import hash_password
from matcher.runtime import Runtime
from matcher.store.tables import AccountRow
from tests.factories import PASSWORD, World, candidate_body, frozen_sign_in_limits


def _seeker_profile(world: World) -> str:
    created = world.client.post("/me/profile", json=candidate_body(), headers=world.as_("seeker"))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _account(**changes: object) -> dict[str, object]:
    return {"email": "dominique@example.fr", "name": "Dominique", "role": "seeker", "password": PASSWORD, **changes}


def test_a_profile_already_owned_cannot_be_bound_to_another_account(world: World, rt: Runtime) -> None:
    client, admin = world.client, world.as_("admin")
    candidate_id = _seeker_profile(world)
    refused = client.post("/accounts", json=_account(candidate_id=candidate_id), headers=admin)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == ["candidate_id"]
    assert "appartient déjà" in refused.json()["detail"]
    assert "dominique@example.fr" not in {a["email"] for a in client.get("/accounts", headers=admin).json()}
    # Only a job seeker's account is ever bound to a profile.
    recruiter = _account(role="recruiter", employer_ids=[world.employer_a], candidate_id=candidate_id)
    assert client.post("/accounts", json=recruiter, headers=admin).status_code == 422


def test_the_database_itself_refuses_two_accounts_on_one_profile(world: World, rt: Runtime) -> None:
    candidate_id = _seeker_profile(world)
    with pytest.raises(IntegrityError), rt.store.transaction() as session:
        session.add(
            AccountRow(
                id="acc_second",
                email="second@example.fr",
                name="Second",
                role="seeker",
                password_hash=hash_password(PASSWORD),
                employer_ids=[],
                candidate_id=candidate_id,
                disabled=False,
            )
        )


@pytest.mark.parametrize(
    "spelling",
    ["ＣＡＭＩＬＬＥ@example.fr", "cami\u200bll\u200ce@example.fr", "camille@EXAMPLE.FR.", "camille@example.fr\u2060"],
)
def test_another_spelling_of_an_address_is_the_same_account(world: World, spelling: str) -> None:
    client, admin = world.client, world.as_("admin")
    duplicate = client.post("/accounts", json=_account(email=spelling), headers=admin)
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["field"] == "email"
    # Signing in with that spelling opens the one account there is, on the API and on the pages.
    token = client.post("/auth/token", data={"username": spelling, "password": PASSWORD})
    assert token.status_code == 200
    me = client.get("/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.json()["id"] == world.account_ids["seeker"]
    page = client.get("/connexion")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    signed_in = client.post(
        "/connexion", data={"email": spelling, "password": PASSWORD, "csrf": csrf}, follow_redirects=False
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"].startswith("/candidat/")


def test_mixed_script_lookalikes_are_refused_in_french(world: World) -> None:
    client, admin = world.client, world.as_("admin")
    lookalike = "cаmille@example.fr"  # Cyrillic а
    created = client.post("/accounts", json=_account(email=lookalike), headers=admin)
    assert created.status_code == 422
    assert created.json()["errors"][0]["field"] == "email"
    assert "alphabets différents" in created.json()["errors"][0]["message"]
    token = client.post("/auth/token", data={"username": lookalike, "password": PASSWORD})
    assert token.status_code == 422 and token.json()["errors"][0]["field"] == "username"
    stored = {a["email"] for a in client.get("/accounts", headers=admin).json()}
    assert "cаmille@example.fr" not in stored and "ｃａｍｉｌｌｅ@example.fr" not in stored


def test_an_account_created_with_a_decorated_address_is_stored_canonical(world: World) -> None:
    created = world.client.post(
        "/accounts", json=_account(email=" Ｄominique@Exämple.FR. "), headers=world.as_("admin")
    )
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "dominique@xn--exmple-cua.fr"


def test_password_spraying_from_one_address_is_limited(world: World, rt: Runtime) -> None:
    frozen_sign_in_limits(world, rt)
    client = world.client
    statuses = [
        client.post("/auth/token", data={"username": f"agent{n}@example.fr", "password": "Printemps2026"})
        for n in range(40)
    ]
    codes = [r.status_code for r in statuses]
    assert codes[:30] == [401] * 30 and set(codes[30:]) == {429}
    limited = statuses[-1]
    assert int(limited.headers["Retry-After"]) >= 1 and "réessayez" in limited.json()["detail"]
    # The sign-in page shares the address's limit.
    page = client.get("/connexion")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    refused = client.post("/connexion", data={"email": "agent99@example.fr", "password": "x", "csrf": csrf})
    assert refused.status_code == 429 and refused.headers["Retry-After"] and "Trop de tentatives" in refused.text


def test_spelling_an_address_differently_does_not_escape_its_limit(world: World, rt: Runtime) -> None:
    frozen_sign_in_limits(world, rt)
    client = world.client
    spellings = ["admin@example.fr", "ＡＤＭＩＮ@example.fr", "ad\u200bmin@example.fr", "admin@example.fr."]
    codes = [
        client.post("/auth/token", data={"username": spellings[n % 4], "password": f"guess {n}"}).status_code
        for n in range(11)
    ]
    assert codes == [401] * 10 + [429]
