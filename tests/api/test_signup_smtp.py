"""Sign-up and password e-mails through a real SMTP server process (aiosmtpd): the links they carry work, once."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from matcher.core.settings import MatcherSettings
from tests.factories import PASSWORD, World, candidate_body, offer_body, received_mails, smtp_server_process

SITE = "https://approche-directe.example"


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "maildir"


@pytest.fixture
def smtp_port(maildir: Path) -> Iterator[int]:
    with smtp_server_process(maildir) as port:
        yield port


@pytest.fixture
def settings(settings: MatcherSettings, smtp_port: int) -> MatcherSettings:
    """The tests' settings (on either store), mail sent by SMTP to the server process."""
    return settings.model_copy(
        update={
            "mail_sender": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "mail_from": "Approche directe <comptes@approche-directe.example>",
            "public_url": SITE,
        }
    )


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def link_in(mail: EmailMessage, path: str) -> tuple[str, str]:
    """(local path with its query, the token) of the link to ``path`` the mail carries."""
    found = re.search(re.escape(SITE) + "(" + re.escape(path) + r"\?jeton=([A-Za-z0-9_-]+))", mail.get_content())
    assert found, mail.get_content()
    return found.group(1), found.group(2)


def test_a_new_seeker_confirms_from_the_mail_then_builds_a_profile_and_sees_matches(
    world: World, maildir: Path
) -> None:
    client, hr = world.client, world.as_("recruiter")
    offer = client.post("/offers", json=offer_body(world.employer_a), headers=hr).json()["id"]
    password = "un mot de passe sûr"
    body = {"email": "nour@example.fr", "name": "Nour", "password": password, "consent": True}
    assert client.post("/auth/signup", json=body).status_code == 202

    [mail] = received_mails(maildir, to="nour@example.fr")
    assert mail["Subject"] == "Confirmez votre adresse pour activer votre compte Approche directe"
    assert mail["From"] == "Approche directe <comptes@approche-directe.example>"
    path, token = link_in(mail, "/inscription/verifier")
    assert password not in mail.get_content()
    # The link opens a page with a button: fetching it (a mail scanner does) confirms nothing yet.
    client.follow_redirects = False
    page = client.get(path)
    assert page.status_code == 200 and "Confirmer mon adresse" in page.text
    assert client.get(path).status_code == 200
    confirmed = client.post("/inscription/verifier", data={"csrf": csrf_of(page.text), "jeton": token})
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/connexion"
    assert "Adresse confirmée" in html.unescape(client.get("/connexion").text)
    assert client.get(path).status_code == 400  # used

    signed_in = client.post("/auth/token", data={"username": "nour@example.fr", "password": password})
    assert signed_in.status_code == 200
    me = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    assert client.post("/me/profile", json=candidate_body(display_name="Nour"), headers=me).status_code == 201
    matches = client.get("/me/matches", headers=me)
    assert matches.status_code == 200 and [m["offer_id"] for m in matches.json()["entries"]] == [offer]


def test_signing_up_with_a_taken_address_mails_its_holder_without_a_link(world: World, maildir: Path) -> None:
    body = {"email": "camille@example.fr", "name": "Autre", "password": "un autre mot de passe", "consent": True}
    assert world.client.post("/auth/signup", json=body).status_code == 202
    [mail] = received_mails(maildir, to="camille@example.fr")
    assert mail["Subject"] == "Vous avez déjà un compte Approche directe"
    text = mail.get_content()
    assert f"{SITE}/connexion" in text and f"{SITE}/mot-de-passe/oublie" in text and "jeton" not in text


def test_a_new_password_from_the_mailed_link_once_and_the_old_one_stops(world: World, maildir: Path) -> None:
    client = world.client
    client.follow_redirects = False
    page = client.get("/mot-de-passe/oublie")
    asked = client.post("/mot-de-passe/oublie", data={"csrf": csrf_of(page.text), "email": "Camille@example.fr"})
    assert asked.status_code == 303 and asked.headers["location"] == "/connexion"

    [mail] = received_mails(maildir, to="camille@example.fr")
    assert mail["Subject"] == "Choisir un nouveau mot de passe — Approche directe"
    path, token = link_in(mail, "/mot-de-passe/nouveau")
    form = client.get(path)
    assert form.status_code == 200 and "Choisir un nouveau mot de passe" in form.text
    fields = {"csrf": csrf_of(form.text), "jeton": token, "password": "un nouveau mot de passe"}
    mismatch = client.post("/mot-de-passe/nouveau", data={**fields, "confirmation": "autre chose encore"})
    assert mismatch.status_code == 422 and "Les deux mots de passe saisis diffèrent" in html.unescape(mismatch.text)
    done = client.post("/mot-de-passe/nouveau", data={**fields, "confirmation": "un nouveau mot de passe"})
    assert done.status_code == 303 and done.headers["location"] == "/connexion"

    old = client.post("/auth/token", data={"username": "camille@example.fr", "password": PASSWORD})
    new = client.post("/auth/token", data={"username": "camille@example.fr", "password": "un nouveau mot de passe"})
    assert old.status_code == 401 and new.status_code == 200
    again = client.post("/auth/password-reset/confirm", json={"token": token, "password": "encore un autre essai"})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "token"
