"""A new job seeker signs up in headless Chromium, e-mails going through a real SMTP server process.

From the sign-in page to the sign-up form (the GDPR information before the consent box), the link of
the confirmation e-mail the SMTP server received, signing in, a profile, matched offers; then a
forgotten password, chosen again through the link of a second e-mail. axe-core checks every new page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Site
from tests.factories import received_mails, smtp_server_process

pytestmark = pytest.mark.browser
AXE = Axe()
EMAIL = "nour.haddad@inscription.e2e.fr"
PASSWORD = "mon mot de passe à moi"


def audit(page: Page, screenshots: Path, name: str) -> None:
    """axe-core on the page as shown: no serious or critical violation; then a full-page screenshot."""
    results = AXE.run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']}" for v in bad)
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.screenshot(path=screenshots / f"{name}.png", full_page=True)


@pytest.fixture
def mail(site: Site, tmp_path: Path) -> Iterator[Path]:
    """The site sends its e-mails to a real SMTP server process for this test; returns its maildir."""
    maildir = tmp_path / "maildir"
    settings = site.rt.settings
    before = (settings.mail_sender, settings.smtp_host, settings.smtp_port, settings.public_url)
    with smtp_server_process(maildir) as port:
        settings.mail_sender, settings.smtp_host, settings.smtp_port = "smtp", "127.0.0.1", port
        settings.public_url = site.url
        try:
            yield maildir
        finally:
            settings.mail_sender, settings.smtp_host, settings.smtp_port, settings.public_url = before


def link_in(message: EmailMessage, path: str) -> str:
    found = re.search("(" + re.escape(path) + r"\?jeton=[A-Za-z0-9_-]+)", message.get_content())
    assert found, message.get_content()
    return found.group(1)


def sign_in(page: Page, password: str) -> None:
    page.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_a_new_seeker_signs_up_confirms_the_mail_builds_a_profile_and_sees_matches(
    page: Page, site: Site, mail: Path, screenshots: Path
) -> None:
    page.goto("/connexion")
    page.get_by_role("link", name="Créer un compte de candidat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer mon compte de candidat")
    information = page.get_by_role("region", name="Vos données personnelles")
    for said in ("Responsable du traitement", "Base légale", "Durée de conservation", "Vos droits"):
        expect(information).to_contain_text(said)
    expect(information.get_by_role("link", name="Mes données")).to_have_attribute("href", "/candidat/donnees")
    audit(page, screenshots, "inscription")
    page.get_by_label("Nom ou prénom").fill("Nour")
    page.get_by_label("Adresse électronique").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("J'ai lu ces informations", exact=False).check()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(f"{site.url}/connexion")
    expect(page.get_by_role("status")).to_contain_text("un message vient d'y être envoyé")

    # Not before the address is confirmed.
    sign_in(page, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("confirmez d'abord votre adresse")

    [confirmation] = received_mails(mail, to=EMAIL)
    page.goto(link_in(confirmation, "/inscription/verifier"))
    audit(page, screenshots, "inscription-confirmer")
    page.get_by_role("button", name="Confirmer mon adresse").click()
    expect(page.get_by_role("status")).to_contain_text("Adresse confirmée")

    sign_in(page, PASSWORD)
    expect(page).to_have_url(f"{site.url}/candidat/profil")
    page.get_by_label("Nom affiché aux recruteurs").fill("Nour")
    page.get_by_label("Poste recherché").fill("Jardinière")
    for label, typed, datalist in (
        ("Ajouter un métier", "jardinier", "#dl-occupation_new option"),
        ("Ajouter une compétence", "taille", "#dl-skill_new option"),
        ("Ajouter une commune", "07200", "#dl-commune_new option"),
    ):
        field = page.get_by_label(label)
        field.fill(typed)
        expect(page.locator(datalist).first).to_be_attached()
        field.fill(page.locator(datalist).first.get_attribute("value") or "")
    page.get_by_label("Rayon autour de ces communes (km)").fill("40")
    page.get_by_label("Les recruteurs des employeurs publics", exact=False).check()
    page.get_by_role("button", name="Enregistrer mon profil").click()
    expect(page).to_have_url(f"{site.url}/candidat/offres")
    titles = page.locator("ol.matches h2")
    expect(titles.first).to_be_visible()
    assert any("Jardinier" in t for t in titles.all_inner_texts())
    audit(page, screenshots, "inscription-offres")

    # A forgotten password, chosen again through the link of a second e-mail; the old one stops.
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    audit(page, screenshots, "mot-de-passe-oublie")
    page.get_by_label("Adresse électronique").fill(EMAIL)
    page.get_by_role("button", name="Recevoir un lien").click()
    expect(page.get_by_role("status")).to_contain_text("un message vient d'y être envoyé")
    mails = received_mails(mail, to=EMAIL, at_least=2)
    [reset] = [m for m in mails if m["Subject"].startswith("Choisir un nouveau mot de passe")]
    link = link_in(reset, "/mot-de-passe/nouveau")
    page.goto(link)
    audit(page, screenshots, "mot-de-passe-nouveau")
    page.get_by_label("Nouveau mot de passe").fill("un tout nouveau mot de passe")
    page.get_by_label("Le même, une seconde fois").fill("un tout nouveau mot de passe")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_role("status")).to_contain_text("Mot de passe changé")
    sign_in(page, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("incorrect")
    sign_in(page, "un tout nouveau mot de passe")
    expect(page).to_have_url(f"{site.url}/candidat/offres")

    page.goto(link)  # used: the page says so, and what to do
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce lien n'est plus valable")
    audit(page, screenshots, "lien-plus-valable")
