"""The CV page: upload (CSRF-guarded), a draft whose fields cite their CV line, correct, save."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from matcher.runtime import Runtime
from matcher.store.tables import CandidateRow, CvFileRow
from tests.factories import PASSWORD, World, count, cv_pdf, image_only_pdf

CV = [
    "Camille Martin",
    "Jardinière paysagiste",
    "12 rue des Écoles, 07000 Privas",
    "Disponible immédiatement",
    "EXPÉRIENCES PROFESSIONNELLES",
    "2019 - 2023 : Jardinière — Mairie de Privas",
    "FORMATION",
    "2016 - 2018 : BTS Aménagements paysagers",
    "Permis B",
]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _signed_in(client: TestClient) -> str:
    client.follow_redirects = False
    token = _csrf(client.get("/connexion").text)
    response = client.post("/connexion", data={"email": "camille@example.fr", "password": PASSWORD, "csrf": token})
    assert response.status_code == 303
    return _csrf(client.get("/candidat/cv").text)


def test_upload_needs_the_csrf_token(rt: Runtime, world: World) -> None:
    _signed_in(world.client)
    refused = world.client.post("/candidat/cv", files={"cv": ("cv.pdf", cv_pdf(CV), "application/pdf")})
    assert refused.status_code == 403 and count(rt, CandidateRow) == 0


def test_a_scan_gets_the_french_message_on_the_page(world: World) -> None:
    token = _signed_in(world.client)
    page = world.client.post(
        "/candidat/cv", data={"csrf": token}, files={"cv": ("scan.pdf", image_only_pdf(), "application/pdf")}
    )
    assert page.status_code == 422
    assert "aucun texte trouvé : remplissez le profil à la main ou déposez un PDF texte" in html.unescape(page.text)


def test_upload_review_correct_and_save(rt: Runtime, world: World) -> None:
    token = _signed_in(world.client)
    page = world.client.post(
        "/candidat/cv", data={"csrf": token}, files={"cv": ("mon cv.pdf", cv_pdf(CV), "application/pdf")}
    )
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'value="Jardinière paysagiste"' in text
    assert "Lu dans votre CV, ligne 2 : « Jardinière paysagiste »" in text
    assert "Lu dans votre CV, ligne 3 : « 12 rue des Écoles, 07000 Privas »" in text
    assert count(rt, CandidateRow) == 0 and count(rt, CvFileRow) == 0  # reading saves nothing
    occupations = re.findall(r'name="occupations" value="([A-N]\d{4})" checked', text)
    form = {
        "csrf": _csrf(text),
        "display_name": "Camille",
        "title": "Jardinière en chef",  # corrected
        "occupations": occupations,
        "experience_title": ["Jardinière"],
        "experience_rome": [""],
        "experience_years": ["4"],
        "education_level": "niveau_5",
        "languages": "français",
        "driving_licences": "B",
        "commune": "07000",
        "radius_km": "30",
        "contract_types": ["contractuel"],
        "visibility": "employers",
    }
    saved = world.client.post("/candidat/cv/enregistrer", data=form)
    assert saved.status_code == 303 and saved.headers["location"] == "/candidat/offres"
    profile = world.client.get("/me/profile", headers=world.as_("seeker")).json()
    assert profile["title"] == "Jardinière en chef" and profile["mobility"]["communes"] == ["07186"]
    assert profile["driving_licences"] == ["B"] and profile["experiences"][0]["years"] == 4
    assert occupations and profile["desired_occupations"] == occupations[:1]


def test_a_refused_save_explains_in_french_and_saves_nothing(rt: Runtime, world: World) -> None:
    token = _signed_in(world.client)
    form = {"csrf": token, "display_name": "Camille", "title": "Jardinière", "commune": "07000", "radius_km": "30"}
    page = world.client.post("/candidat/cv/enregistrer", data=form)  # no contract type chosen
    assert page.status_code == 422 and count(rt, CandidateRow) == 0
    text = html.unescape(page.text)
    assert "Le profil n'a pas été enregistré" in text and "List should" not in text
