"""A job seeker's own sign-up and a forgotten password, on the API and the pages: the same answer whether an
address has an account or not, errors naming the field, limits per client and per address, the GDPR
information shown before anything is asked. (The e-mails themselves: test_signup_smtp.py.)"""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from api.limits import RateLimiter
from matcher.runtime import Runtime
from matcher.store.tables import AccountRow, OutboxRow
from tests.factories import PASSWORD, World

SIGN_UP = {"email": "nour@example.fr", "name": "Nour", "password": "un mot de passe sûr", "consent": True}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def _frozen_account_limits(world: World, rt: Runtime) -> None:
    """The app's sign-up and reset limiters, as configured, on a clock that stands still."""
    state = world.client.app.state  # type: ignore[attr-defined]
    settings = rt.settings
    state.account_address_limiter = RateLimiter(
        settings.account_requests_per_address_per_hour, period_s=3600, clock=lambda: 0.0
    )
    state.account_email_limiter = RateLimiter(
        settings.account_requests_per_email_per_hour, period_s=3600, clock=lambda: 0.0
    )


def _mails_owed(rt: Runtime) -> list[tuple[str, str]]:
    """(action, entity id) of every ``account`` outbox row, sent or not."""
    with rt.store.read() as session:
        rows = session.scalars(select(OutboxRow).where(OutboxRow.topic == "account").order_by(OutboxRow.id))
        return [(r.action, r.entity_id) for r in rows]


def test_signing_up_answers_alike_for_a_new_and_a_taken_address(world: World, rt: Runtime) -> None:
    client = world.client
    new = client.post("/auth/signup", json=SIGN_UP)
    taken = client.post("/auth/signup", json={**SIGN_UP, "email": "Camille@Example.fr"})  # the world's seeker
    assert new.status_code == taken.status_code == 202
    assert new.json() == taken.json() and "un message vient d'y être envoyé" in new.json()["detail"]
    assert new.headers["content-length"] == taken.headers["content-length"]
    # Behind the same answer: an unconfirmed account and its link for one, a reminder for the other's holder.
    assert [action for action, _ in _mails_owed(rt)] == ["verify", "exists"]
    with rt.store.read() as session:
        created = session.scalar(select(AccountRow).where(AccountRow.email == "nour@example.fr"))
        assert created is not None and not created.email_verified and created.role == "seeker"
    # Not before the address is confirmed.
    refused = client.post("/auth/token", data={"username": "nour@example.fr", "password": SIGN_UP["password"]})
    assert refused.status_code == 401
    # The taken address keeps its password.
    assert client.post("/auth/token", data={"username": "camille@example.fr", "password": PASSWORD}).status_code == 200


def test_a_reset_request_answers_alike_for_a_known_and_an_unknown_address(world: World, rt: Runtime) -> None:
    client = world.client
    known = client.post("/auth/password-reset", json={"email": "camille@example.fr"})
    unknown = client.post("/auth/password-reset", json={"email": "personne@example.fr"})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    assert [action for action, _ in _mails_owed(rt)] == ["reset"]  # the unknown address is mailed nothing


def test_errors_are_problems_naming_the_field(world: World) -> None:
    client = world.client
    cases = [
        ({**SIGN_UP, "consent": False}, "consent"),
        ({**SIGN_UP, "password": "court"}, "password"),
        ({**SIGN_UP, "email": "nour@"}, "email"),
        ({k: v for k, v in SIGN_UP.items() if k != "name"}, "name"),
    ]
    for body, field in cases:
        refused = client.post("/auth/signup", json=body)
        assert refused.status_code == 422, body
        assert refused.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in refused.json()["errors"]] == [field], refused.json()
    for path, body in (
        ("/auth/verify", {"token": "pas-un-jeton"}),
        ("/auth/password-reset/confirm", {"token": "pas-un-jeton", "password": "un nouveau mot de passe"}),
    ):
        refused = client.post(path, json=body)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "token", refused.json()
        assert "n'est pas valable" in refused.json()["detail"]
    short = client.post("/auth/password-reset/confirm", json={"token": "x", "password": "court"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "password"


def test_requests_are_limited_per_address_and_per_client(world: World, rt: Runtime) -> None:
    _frozen_account_limits(world, rt)
    client = world.client
    per_email = rt.settings.account_requests_per_email_per_hour
    statuses = [
        client.post("/auth/password-reset", json={"email": "camille@example.fr"}).status_code
        for _ in range(per_email + 1)
    ]
    assert statuses == [202] * per_email + [429]
    # Another spelling of the same address is the same mailbox.
    limited = client.post("/auth/signup", json={**SIGN_UP, "email": "CAMILLE@example.fr"})
    assert limited.status_code == 429 and limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["Retry-After"]) > 0
    assert len(_mails_owed(rt)) == per_email  # nothing more was queued
    # Other addresses go on, until the client itself reaches its limit (every request so far counted).
    left = rt.settings.account_requests_per_address_per_hour - (per_email + 2)
    others = [
        client.post("/auth/password-reset", json={"email": f"personne{n}@example.fr"}).status_code
        for n in range(left + 1)
    ]
    assert others == [202] * left + [429]


def test_the_sign_up_page_tells_what_is_done_with_the_data_before_asking(world: World, rt: Runtime) -> None:
    client = world.client
    page = client.get("/inscription")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for said in (
        "Responsable du traitement",
        rt.settings.data_controller,
        rt.settings.privacy_contact,
        "Finalités",
        "Base légale",
        "article 6, paragraphe 1, point a, du RGPD",
        "Durée de conservation",
        f"au bout de {rt.settings.unverified_account_days} jours",
        "Vos droits et comment les exercer",
        "cnil.fr",
    ):
        assert said in text, said
    assert 'href="/modele"' in text and 'href="/candidat/donnees"' in text
    assert text.index("Base légale") < text.index('name="consent"') < text.index("Créer mon compte</button>")
    login = html.unescape(client.get("/connexion").text)
    assert 'href="/inscription"' in login and 'href="/mot-de-passe/oublie"' in login


def test_signing_up_on_the_page(world: World, rt: Runtime) -> None:
    client = world.client
    client.follow_redirects = False
    token = csrf_of(client.get("/inscription").text)
    form = {"csrf": token, "name": "Nour", "email": "nour@example.fr", "password": "un mot de passe sûr"}
    without_consent = client.post("/inscription", data=form)
    assert without_consent.status_code == 422 and 'id="f-consent-error"' in without_consent.text
    assert 'value="nour@example.fr"' in without_consent.text  # what was typed stays (the password does not)
    assert "un mot de passe sûr" not in without_consent.text
    assert client.post("/inscription", data={**form, "consent": "oui", "csrf": "forged"}).status_code == 403
    assert _mails_owed(rt) == []
    done = client.post("/inscription", data={**form, "consent": "oui"})
    assert done.status_code == 303 and done.headers["location"] == "/connexion"
    assert "un message vient d'y être envoyé" in html.unescape(client.get("/connexion").text)
    assert [action for action, _ in _mails_owed(rt)] == ["verify"]


def test_a_dead_link_says_so_and_what_to_do(world: World) -> None:
    client = world.client
    for path, next_step in (
        ("/inscription/verifier?jeton=inconnu", 'href="/inscription"'),
        ("/mot-de-passe/nouveau?jeton=inconnu", 'href="/mot-de-passe/oublie"'),
        ("/mot-de-passe/nouveau", 'href="/mot-de-passe/oublie"'),
    ):
        page = client.get(path)
        assert (
            page.status_code == 400
            and "Ce lien n'est plus valable" in html.unescape(page.text)
            and next_step in page.text
        )
