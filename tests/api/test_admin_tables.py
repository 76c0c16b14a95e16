"""Admin tables: searchable by name (case and accents folded) and paginated."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from matcher.catalog.employers import create_employer
from matcher.core.models import EmployerIn, EmployerKind
from matcher.runtime import Runtime
from tests.factories import PASSWORD, World


def sign_in(client: TestClient, email: str) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/connexion").text)
    assert token
    client.post("/connexion", data={"email": email, "password": PASSWORD, "csrf": token.group(1)})


def test_employers_are_searched_and_paged(rt: Runtime, world: World) -> None:
    with rt.store.transaction() as session:
        for n in range(60):
            create_employer(session, data=EmployerIn(name=f"Syndicat des eaux n° {n:02d}", kind=EmployerKind.AUTRE))
    client = world.client
    sign_in(client, "admin@example.fr")
    first = client.get("/admin/employeurs").text
    assert "Page 1 / 2" in first and first.count("Réglages<span") == 50
    second = client.get("/admin/employeurs", params={"page": 2}).text
    assert second.count("Réglages<span") == 12
    found = client.get("/admin/employeurs", params={"q": "AUBÉNAS"}).text
    assert "Commune d&#39;Aubenas" in found and "Privas" not in found.split("<h2>Nouvel employeur")[0]
    assert "Aucun employeur ne correspond" in client.get("/admin/employeurs", params={"q": "zzz"}).text


def test_accounts_are_searched_by_email_or_name_and_paged(rt: Runtime, world: World) -> None:
    from matcher.access import accounts
    from matcher.access.accounts import AccountIn, Role

    with rt.store.transaction() as session:
        for n in range(55):
            data = AccountIn(email=f"agent{n:02d}@exemple.fr", name=f"Agent {n}", role=Role.SEEKER, password=PASSWORD)
            accounts.create_account(session, data=data)
    client = world.client
    sign_in(client, "admin@example.fr")
    first = client.get("/admin/comptes").text
    assert "Page 1 / 2" in first and first.count("<tr><td>") == 50 and "(59)" in first
    second = client.get("/admin/comptes", params={"page": 2}).text
    assert second.count("<tr><td>") == 9
    found = client.get("/admin/comptes", params={"q": "RH PRIVAS"}).text
    assert found.count("<tr><td>") == 1 and "rh@privas.example.fr" in found
    assert "agent12@exemple.fr" in client.get("/admin/comptes", params={"q": "agent12"}).text
    none = client.get("/admin/comptes", params={"q": "zzz"}).text
    assert "Aucun compte ne correspond" in none and "<tr><td>" not in none
    assert 'name="employer_ids"' in none  # the form to create an account is still there


def test_partners_are_searched_and_paged(rt: Runtime, world: World) -> None:
    from matcher.access import accounts
    from matcher.access.accounts import PartnerIn

    with rt.store.transaction() as session:
        for n in range(51):
            accounts.create_partner(session, data=PartnerIn(name=f"Agence n° {n:02d}", employer_ids=[world.employer_a]))
        accounts.create_partner(session, data=PartnerIn(name="Intérim Ardèche", employer_ids=[world.employer_b]))
    client = world.client
    sign_in(client, "admin@example.fr")
    first = client.get("/admin/partenaires").text
    assert "Page 1 / 2" in first and first.count("Clés d'API<span") == 50
    link = re.search(r'<a href="(/admin/partenaires\?page=2)" rel="next">', first)
    assert link and client.get(link.group(1)).text.count("<tr><td>") == 3
    found = client.get("/admin/partenaires", params={"q": "interim ARDECHE"}).text
    assert found.count("<tr><td>") == 1 and "Intérim Ardèche" in found and "Commune d&#39;Aubenas" in found
    assert "Aucun partenaire ne correspond" in client.get("/admin/partenaires", params={"q": "zzz"}).text
    kept = re.search(
        r'<a href="(/admin/partenaires\?page=2&amp;q=agence)" rel="next">',
        client.get("/admin/partenaires", params={"q": "agence"}).text,
    )
    assert kept  # the search is kept from page to page
