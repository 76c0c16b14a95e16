"""Authorisation: the role × route matrix, tenant isolation, partner scope, bad tokens and revoked keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from api.access import ACCESS, _Public
from api.app import routes
from api.pages import router as pages_router
from matcher.access import tokens
from matcher.runtime import Runtime
from matcher.store.tables import AuditRow, FeedbackRow, OfferRow, OutboxRow, ShortlistRow
from tests.factories import World, candidate_body, count, offer_body

ROLES = {"admin": "admin", "recruiter": "recruiter", "seeker": "seeker", "partner": "partner"}
WATCHED = (OfferRow, FeedbackRow, ShortlistRow, OutboxRow)


def test_every_route_has_a_rule_and_every_rule_a_route() -> None:
    served = set(routes())
    assert len(served) == len(routes())
    assert served - set(ACCESS) == set(), "routes without an access rule"
    assert set(ACCESS) - served == set(), "rules for routes that do not exist"


def snapshot(rt: Runtime) -> tuple[int, ...]:
    return tuple(count(rt, table) for table in WATCHED)


def test_roles_outside_the_matrix_are_refused_and_nothing_changes(world: World, rt: Runtime) -> None:
    client = world.client
    pages = {route.path for route in pages_router.routes}
    before = snapshot(rt)
    refused = 0
    for (method, path), rule in sorted(ACCESS.items()):
        url = re.sub(r"\{[^}]+\}", "x", path)
        for who, role in [("anonymous", None), *ROLES.items()]:
            allowed = isinstance(rule, _Public) or (role is not None and role in {r.value for r in rule})
            if allowed:
                continue
            response = client.request(method, url, headers=world.as_(who), json={}, follow_redirects=False)
            if path in pages and who == "anonymous":  # a browser is sent to the sign-in page instead
                assert response.status_code == 303 and response.headers["location"].startswith("/connexion")
            elif path in pages:
                assert response.status_code == 403 and response.headers["content-type"].startswith("text/html")
            else:
                assert response.status_code == (401 if who == "anonymous" else 403), (method, path, who)
                assert response.headers["content-type"] == "application/problem+json", path
            refused += 1
    assert refused > 100
    assert snapshot(rt) == before


def test_a_recruiter_of_another_employer_gets_404_and_changes_nothing(world: World, rt: Runtime) -> None:
    client, mine, theirs = world.client, world.as_("recruiter"), world.as_("other_recruiter")
    offer = client.post("/offers", json=offer_body(world.employer_a), headers=mine).json()
    candidate = client.post("/candidates", json=candidate_body(), headers=world.as_("admin")).json()
    built = client.post(f"/offers/{offer['id']}/shortlists", headers=mine).json()
    client.post(
        f"/offers/{offer['id']}/feedback", json={"candidate_id": candidate["id"], "decision": "contacted"}, headers=mine
    )
    before = (*snapshot(rt), count(rt, AuditRow))
    base = f"/offers/{offer['id']}"
    attempts = [
        ("GET", base, None),
        ("GET", f"{base}/jobposting", None),
        ("PUT", base, offer_body(world.employer_a, title="Pris")),
        ("PUT", base, offer_body(world.employer_b, title="Pris")),
        ("DELETE", base, None),
        ("POST", f"{base}/close", None),
        ("POST", f"{base}/shortlists", None),
        ("GET", f"{base}/shortlists", None),
        ("GET", built["href"], None),
        ("GET", f"{base}/shortlists/latest", None),
        ("GET", f"{base}/feedback", None),
        ("POST", f"{base}/feedback", {"candidate_id": candidate["id"], "decision": "hired"}),
        ("GET", f"/employers/{world.employer_a}/settings", None),
        ("PATCH", f"/employers/{world.employer_a}/settings", {"ai_ranking": False}),
    ]
    for method, url, body in attempts:
        response = client.request(method, url, headers=theirs, json=body)
        expected = 422 if method == "PUT" and body and body["employer_id"] == world.employer_a else 404
        assert response.status_code in (expected, 404), (method, url, response.status_code)
        if response.status_code == 422:
            assert response.json()["errors"][0]["field"] == "employer_id"
    assert (*snapshot(rt), count(rt, AuditRow)) == before
    listed = client.get("/offers", headers=theirs).json()
    assert listed["total"] == 0
    assert client.get("/offers", headers=mine).json()["total"] == 1
    assert [e["id"] for e in client.get("/employers", headers=theirs).json()] == [world.employer_b]


def test_a_seeker_sees_only_their_profile_and_published_offers(world: World) -> None:
    client, seeker = world.client, world.as_("seeker")
    someone = client.post("/candidates", json=candidate_body(display_name="Dominique"), headers=world.as_("admin"))
    draft = offer_body(world.employer_a, status="draft")
    client.post("/offers", json=draft, headers=world.as_("recruiter"))
    published = client.post("/offers", json=offer_body(world.employer_a), headers=world.as_("recruiter")).json()
    assert client.get(f"/candidates/{someone.json()['id']}", headers=seeker).status_code == 403
    assert [o["id"] for o in client.get("/offers", headers=seeker).json()["items"]] == [published["id"]]
    assert client.get("/me/profile", headers=seeker).status_code == 404  # theirs does not exist yet


def test_partner_scope(world: World) -> None:
    client, partner = world.client, world.as_("partner")
    assert client.get("/partners/me", headers=partner).json()["employer_ids"] == [world.employer_a]
    outside = client.post("/offers", json=offer_body(world.employer_b), headers=partner)
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "employer_id"
    inside = client.post("/offers", json=offer_body(world.employer_a), headers=partner)
    assert inside.status_code == 201
    other = client.post("/offers", json=offer_body(world.employer_b), headers=world.as_("other_recruiter")).json()
    assert client.get(f"/offers/{other['id']}", headers=partner).status_code == 404
    synced = client.put(
        "/partners/me/offers",
        json=[{"external_id": "x-1", "version": 1, "offer": offer_body(world.employer_b)}],
        headers=partner,
    ).json()
    assert synced["items"][0]["status"] == "rejected"
    assert synced["items"][0]["errors"][0]["field"] == "offer.employer_id"


def forged(rt: Runtime, account_id: str, **changes: object) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": account_id,
        "gen": 0,
        "aud": rt.settings.token_audience,
        "iss": tokens.ISSUER,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(changes)
    return jwt.encode(claims, tokens.signing_key(rt.settings), algorithm="HS256")


def unsigned(account_id: str) -> str:
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    body = jwt.utils.base64url_encode(
        f'{{"sub":"{account_id}","aud":"approche-directe","iss":"approche-directe","exp":9999999999}}'.encode()
    ).decode()
    return f"{header}.{body}."


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda rt, a: unsigned(a), id="alg-none"),
        pytest.param(
            lambda rt, a: jwt.encode({"sub": a, "aud": "approche-directe", "iss": "approche-directe"}, "wrong" * 8),
            id="wrong-signature",
        ),
        pytest.param(lambda rt, a: forged(rt, a, exp=datetime.now(UTC) - timedelta(seconds=1)), id="expired"),
        pytest.param(lambda rt, a: forged(rt, a, aud="another-service"), id="wrong-audience"),
        pytest.param(lambda rt, a: forged(rt, a)[:-2] + "xx", id="tampered"),
        pytest.param(lambda rt, a: forged(rt, a, sub="acc_does_not_exist"), id="unknown-subject"),
        pytest.param(lambda rt, a: forged(rt, a, gen=1), id="sessions-ended-since"),
        pytest.param(lambda rt, a: forged(rt, a, gen="0"), id="generation-not-a-number"),
        pytest.param(
            lambda rt, a: jwt.encode(
                {
                    **jwt.decode(
                        forged(rt, a), options={"verify_signature": False}, audience=rt.settings.token_audience
                    ),
                    "gen": None,
                },
                tokens.signing_key(rt.settings),
            ),
            id="no-generation",
        ),
    ],
)
def test_tampered_tokens_are_refused(world: World, rt: Runtime, make) -> None:  # type: ignore[no-untyped-def]
    token = make(rt, world.account_ids["admin"])
    response = world.client.get("/accounts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "/problems/unauthenticated"
    assert (
        world.client.get(
            "/accounts", headers={"Authorization": f"Bearer {forged(rt, world.account_ids['admin'])}"}
        ).status_code
        == 200
    )


def test_password_sign_in_and_disabled_accounts(world: World) -> None:
    client = world.client
    bad = client.post("/auth/token", data={"username": "admin@example.fr", "password": "nope nope nope"})
    assert bad.status_code == 401
    good = client.post("/auth/token", data={"username": "ADMIN@example.fr", "password": "correct horse battery staple"})
    assert good.status_code == 200 and good.json()["token_type"] == "bearer"
    headers = {"Authorization": f"Bearer {good.json()['access_token']}"}
    assert client.get("/me", headers=headers).json()["role"] == "admin"
    seeker_id = world.account_ids["seeker"]
    assert client.post(f"/accounts/{seeker_id}/disable", headers=headers).json()["disabled"] is True
    assert client.get("/me", headers=world.as_("seeker")).status_code == 401  # the live token stops working at once


def test_revoked_and_rotated_keys(world: World) -> None:
    client, admin = world.client, world.as_("admin")
    assert client.get("/partners/me", headers={"Authorization": f"Bearer {world.partner_key}"}).status_code == 200
    rotated = client.post(f"/partners/{world.partner_id}/keys/{world.key_id}/rotate", headers=admin).json()
    assert client.get("/partners/me", headers={"X-API-Key": world.partner_key}).status_code == 401
    assert client.get("/partners/me", headers={"X-API-Key": rotated["key"]}).status_code == 200
    client.post(f"/partners/{world.partner_id}/keys/{rotated['id']}/revoke", headers=admin)
    assert client.get("/partners/me", headers={"X-API-Key": rotated["key"]}).status_code == 401
    keys = client.get(f"/partners/{world.partner_id}/keys", headers=admin).json()
    assert all(k["revoked_at"] for k in keys) and all("key" not in k and "secret_hash" not in k for k in keys)
    for malformed in ("adk_", "adk_x_y", "adk_" + world.key_id + "_wrong", "not-a-key"):
        assert client.get("/partners/me", headers={"X-API-Key": malformed}).status_code == 401


def test_no_secret_or_hash_ever_leaves(world: World) -> None:
    accounts = world.client.get("/accounts", headers=world.as_("admin")).text
    assert "argon2" not in accounts and "password" not in accounts
