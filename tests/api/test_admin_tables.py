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
