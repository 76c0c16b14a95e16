"""The direct approach loop in headless Chromium, e-mails through a real SMTP server process.

A recruiter builds a shortlist and approaches two candidates; one accepts through the link of the
e-mail the SMTP server received, the other declines in their space; the recruiter sees the contact
of the first only, and the pipeline with both answers; a seeker says they are interested in another
offer and appears in its pipeline. axe-core checks every new page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from matcher.access import accounts
from matcher.access.accounts import AccountIn, Role
from tests.e2e.conftest import Site
from tests.factories import PASSWORD, bearer, candidate_body, offer_body, received_mails, smtp_server_process

pytestmark = pytest.mark.browser
AXE = Axe()


def sign_in(page: Page, email: str) -> None:
    page.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def audit(page: Page, screenshots: Path, name: str) -> None:
    results = AXE.run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']}" for v in bad)
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


def _seeker(site: Site, name: str, login: str) -> tuple[str, str]:
    """A job seeker with an account and a profile open to employers, near Privas: (e-mail, candidate id)."""
    email = f"{login}@approche.e2e.fr"
    with site.rt.store.transaction() as session:
        account = accounts.create_account(
            session, data=AccountIn(email=email, name=name, role=Role.SEEKER, password=PASSWORD)
        )
    body = candidate_body(display_name=name, mobility={"communes": ["07186"], "radius_km": 40})
    created = httpx.post(f"{site.url}/me/profile", json=body, headers=bearer(site.rt, account.id))
    assert created.status_code == 201, created.text
    return email, created.json()["id"]


def test_the_approach_loop_in_the_browser(browser: Browser, site: Site, mail: Path, screenshots: Path) -> None:
    noe, noe_id = _seeker(site, "Noé", "noe")
    ines, _ = _seeker(site, "Inès", "ines")
    hr = bearer(site.rt, site.account_ids["recruiter"])
    offer = httpx.post(
        f"{site.url}/offers", json=offer_body(site.employer_a, title="Jardinier des écoles"), headers=hr
    ).json()["id"]
    other = httpx.post(
        f"{site.url}/offers", json=offer_body(site.employer_a, title="Jardinier du cimetière"), headers=hr
    ).json()["id"]

    def tab() -> Page:
        context = browser.new_context(base_url=site.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        return context.new_page()

    # The recruiter builds a shortlist and approaches Noé and Inès.
    recruiter = tab()
    sign_in(recruiter, site.emails["recruiter"])
    recruiter.goto(f"/offres/{offer}")
    recruiter.get_by_role("button", name="Construire une présélection").click()
    expect(recruiter.get_by_role("status")).to_contain_text("Présélection construite")
    recruiter.get_by_role("link", name="Approcher des candidats").click()
    expect(recruiter.get_by_role("heading", level=1)).to_contain_text("Approcher des candidats")
    audit(recruiter, screenshots, "approche-formulaire")
    form = recruiter.locator("form", has=recruiter.get_by_role("button", name="Envoyer les approches")).last
    form.get_by_role("checkbox", name=re.compile("Noé")).check()
    form.get_by_role("checkbox", name=re.compile("Inès")).check()
    form.get_by_label("Vos mots").fill("Notre équipe serait ravie de vous rencontrer <vraiment>.")
    form.get_by_role("button", name="Envoyer les approches").click()
    expect(recruiter.get_by_role("status")).to_contain_text("2 approche(s) envoyée(s)")
    expect(recruiter).to_have_url(f"{site.url}/offres/{offer}/vivier")

    # Noé accepts through the link of the e-mail the SMTP server received, without signing in.
    [message] = received_mails(mail, to=noe)
    link = re.search(r"(/approches/reponse/\S+)", message.get_content())
    assert link, message.get_content()
    visitor = tab()
    visitor.goto(link.group(1))
    expect(visitor.locator(".message")).to_contain_text("Notre équipe serait ravie de vous rencontrer <vraiment>.")
    audit(visitor, screenshots, "approche-lien")
    expect(visitor.get_by_role("checkbox", name="mon adresse e-mail")).to_be_checked()
    visitor.get_by_role("button", name="J'accepte").click()
    expect(visitor.get_by_role("status")).to_contain_text("votre réponse est transmise")

    # Inès declines in her space, for the pay.
    seeker = tab()
    sign_in(seeker, ines)
    seeker.get_by_role("link", name="Mes approches").click()
    audit(seeker, screenshots, "candidat-approches")
    item = seeker.locator("li.place", has_text="Jardinier des écoles")
    item.get_by_label("Motif").select_option(label="Rémunération")
    item.get_by_role("button", name="Je décline").click()
    expect(seeker.get_by_role("status")).to_contain_text("Proposition déclinée")

    # The recruiter sees Noé's contact only, and the pipeline with both answers.
    recruiter.goto(f"/offres/{offer}/vivier")
    accepted = recruiter.locator("section", has=recruiter.get_by_role("heading", name=re.compile("A accepté")))
    declined = recruiter.locator("section", has=recruiter.get_by_role("heading", name=re.compile("A décliné")))
    expect(accepted).to_contain_text("Noé")
    expect(accepted.get_by_role("link", name=noe)).to_be_visible()
    expect(declined).to_contain_text("Inès")
    expect(declined).to_contain_text("Rémunération")
    expect(recruiter.locator("main")).not_to_contain_text(ines)
    audit(recruiter, screenshots, "approche-vivier")
    assert noe_id in recruiter.content()  # the accepted candidate's place, anchored by id

    # Inès says she is interested in the other offer, and appears in its pipeline.
    seeker.get_by_role("link", name="Offres pour moi").click()
    seeker.locator(f"#o-{other}").get_by_role("button", name="Je suis intéressé·e").click()
    expect(seeker.get_by_role("status")).to_contain_text("Intérêt transmis")
    recruiter.goto(f"/offres/{other}/vivier")
    interested = recruiter.locator("section", has=recruiter.get_by_role("heading", name=re.compile("Intéressé")))
    expect(interested).to_contain_text("Inès")
    expect(interested).to_contain_text("intérêt du candidat")
