"""Approach e-mails through a real SMTP server process (aiosmtpd): the candidate answers with the link it carries."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher.core.settings import MatcherSettings
from tests.factories import World, candidate_body, offer_body, received_mails, smtp_server_process


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
            "mail_from": "Approche directe <approches@approche-directe.example>",
            "public_url": "https://approche-directe.example",
        }
    )


def test_the_answer_link_read_from_the_received_mail(world: World, maildir: Path) -> None:
    client, hr = world.client, world.as_("recruiter")
    camille = client.post("/me/profile", json=candidate_body(), headers=world.as_("seeker")).json()["id"]
    offer = client.post("/offers", json=offer_body(world.employer_a), headers=hr).json()["id"]
    client.post(f"/offers/{offer}/shortlists", json={"size": 5}, headers=hr)
    words = "Notre équipe espaces verts serait ravie de vous rencontrer."
    [sent] = client.post(
        f"/offers/{offer}/approaches", json={"candidate_ids": [camille], "message": words}, headers=hr
    ).json()

    [mail] = received_mails(maildir, to="camille@example.fr")
    assert mail["Subject"] == "Commune de Privas vous propose un poste : Jardinier / Jardinière"
    body = mail.get_content()
    assert words in body and "Pourquoi votre profil" in body
    found = re.search(r"https://approche-directe\.example(/approches/reponse/(\S+))", body)
    assert found, body
    path, token = found.groups()
    # The link carries the approach id and a signature, nothing about the person.
    payload = token.split(".")[0]
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) == sent["id"]
    assert "Camille" not in token and "camille" not in token

    page = client.get(path)
    assert page.status_code == 200 and "Jardinier / Jardinière" in page.text
    answered = client.post(f"/approach-answers/{token}", json={"answer": "accept", "share_email": True})
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"
    # The recruiter is told by e-mail too (without the contact: it is read signed in).
    [told] = received_mails(maildir, to="rh@privas.example.fr")
    assert "a accepté votre approche" in told.get_content() and "camille@example.fr" not in told.get_content()
    contact = client.get(f"/approaches/{sent['id']}", headers=hr).json()["contact"]
    assert contact["email"] == "camille@example.fr"
    # A link altered by one character is refused, and changes nothing. The character is the signature's first:
    # its last only partly encodes bytes (base64 padding bits), so some changes there decode to the same signature.
    head, signature = token.rsplit(".", 1)
    altered = f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert client.post(f"/approach-answers/{altered}", json={"answer": "decline"}).status_code == 404
