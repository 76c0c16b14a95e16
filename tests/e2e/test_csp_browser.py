"""The pages under their Content-Security-Policy, in Chromium: nothing refused, the script and the bars still work.

Chromium reports every blocked script, style or connection on the console; none may appear. This
module builds its shortlist on an offer of its own (through the API), so it can run before or after
the other browser tests.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e.conftest import Site
from tests.factories import PASSWORD, bearer, offer_body

pytestmark = pytest.mark.browser


def _watch(page: Page) -> list[str]:
    refused: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            refused.append(message.text)

    page.on("console", seen)
    page.on("pageerror", lambda error: refused.append(str(error)))
    return refused


def test_pages_work_under_the_policy(page: Page, site: Site) -> None:
    refused = _watch(page)
    for path in ("/", "/modele", "/connexion"):
        response = page.goto(path)
        assert response is not None and "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.get_by_label("Adresse électronique").fill(site.emails["recruiter"])
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    hr = bearer(site.rt, site.account_ids["recruiter"])
    body = offer_body(site.employer_a, title="Jardinier des jardins partagés")
    offer_id = httpx.post(f"{site.url}/offers", json=body, headers=hr, timeout=60).json()["id"]
    built = httpx.post(f"{site.url}/offers/{offer_id}/shortlists", json={}, headers=hr, timeout=60)
    assert built.status_code in (200, 201), built.text
    page.goto(f"/offres/{offer_id}")
    page.locator("details.why-details > summary").first.click()  # the full explanation, one click away
    bars = page.locator("details.why-details[open] table.contributions .bar")
    expect(bars.first).to_be_visible()
    widths = [box["width"] for box in (bars.nth(i).bounding_box() for i in range(bars.count())) if box]
    assert widths and max(widths) > 20  # sized by their width attribute, not by an inline style
    # site.js runs: choosing "rejected" makes the reason required.
    first = page.locator("ol.shortlist > li").first
    first.get_by_label("Décision").select_option("rejected")
    assert first.get_by_label("Motif").evaluate("el => el.required")
    assert refused == []
