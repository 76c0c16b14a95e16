"""A job seeker uploads a PDF CV in Chromium, corrects a drafted field, saves, and sees matched offers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from matcher.access import accounts, tokens
from matcher.access.accounts import AccountIn, Role
from tests.e2e.conftest import Site
from tests.factories import PASSWORD, count, cv_pdf

pytestmark = pytest.mark.browser

CV = [
    "Sacha Benali",
    "Jardinier paysagiste",
    "4 place de l'Église, 07000 Privas",
    "06 11 22 33 44 · sacha.benali@exemple.fr",
    "Disponible immédiatement",
    "EXPÉRIENCES PROFESSIONNELLES",
    "depuis mars 2018 : Jardinier — Mairie de Privas",
    "- Tailler les arbres et arbustes",
    "03/2015 à 06/2017 : Agent d'entretien des espaces verts — Commune d'Aubenas",
    "FORMATION",
    "2013 - 2015 : BTS Aménagements paysagers",
    "LANGUES",
    "Français : langue maternelle",
    "Permis B",
]


def test_seeker_uploads_a_pdf_cv_corrects_a_field_saves_and_sees_matches(
    page: Page, site: Site, screenshots: Path, tmp_path: Path
) -> None:
    from matcher.store.tables import CandidateRow

    with site.rt.store.transaction() as session:
        account = accounts.create_account(
            session, data=AccountIn(email="sacha@e2e.fr", name="Sacha", role=Role.SEEKER, password=PASSWORD)
        )
    profiles_before = count(site.rt, CandidateRow)
    assert site.rt.cv_reader is not None  # the reader's reference data loads once per process (seconds): not here
    cv = tmp_path / "CV Sacha Benali.pdf"
    cv.write_bytes(cv_pdf(CV))

    page.goto("/connexion")
    page.get_by_label("Adresse électronique").fill("sacha@e2e.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    page.goto("/candidat/cv")
    page.get_by_label("Fichier du CV").set_input_files(cv)
    # Reading spawns a worker process and saving builds the matches: on a busy 2-core machine, allow a minute.
    page.get_by_role("button", name="Lire mon CV").click(timeout=60_000)
    expect(page.get_by_label("Poste recherché")).to_have_value("Jardinier paysagiste", timeout=60_000)
    expect(page.get_by_text("Lu dans votre CV, ligne 3 : « 4 place de l'Église, 07000 Privas »")).to_be_visible()
    expect(page.get_by_label("Commune ou code postal")).to_have_value("Privas (07000)")
    expect(page.get_by_label("Permis (ex. B, C, CE)")).to_have_value("B")
    assert count(site.rt, CandidateRow) == profiles_before  # reading the CV saved nothing
    page.screenshot(path=screenshots / "candidat-cv-brouillon.png", full_page=True)

    page.get_by_label("Poste recherché").fill("Jardinier paysagiste confirmé")  # the correction
    page.get_by_label("Nom affiché aux recruteurs").fill("Sacha")
    page.get_by_role("button", name="Enregistrer mon profil").click(timeout=60_000)
    expect(page).to_have_url(f"{site.url}/candidat/offres", timeout=60_000)
    expect(page.get_by_text("Profil enregistré à partir de votre CV.")).to_be_visible()
    expect(page.get_by_text("Jardinier / Jardinière").first).to_be_visible()  # a matched offer near Privas
    page.screenshot(path=screenshots / "candidat-cv-offres.png", full_page=True)

    token, _ = tokens.issue(site.rt.settings, subject=account.id)
    profile = httpx.get(f"{site.url}/me/profile", headers={"Authorization": f"Bearer {token}"}).json()
    assert profile["title"] == "Jardinier paysagiste confirmé"
    assert profile["mobility"]["communes"] == ["07186"] and profile["driving_licences"] == ["B"]
    assert [e["years"] for e in profile["experiences"]][1] == 2.2
