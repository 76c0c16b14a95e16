"""The public job board: a published offer's page needs no sign-in and carries its JobPosting; a sitemap lists them."""

from __future__ import annotations

import json
import re

from matcher.catalog.offers import create_offer
from matcher.core.models import OfferIn
from matcher.runtime import Runtime
from tests.factories import World, offer_body


def make_offer(rt: Runtime, world: World, **changes: object) -> str:
    with rt.store.transaction() as session:
        return create_offer(
            session,
            data=OfferIn.model_validate(offer_body(world.employer_a, **changes)),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        ).id


def test_anyone_reads_a_published_offer_with_its_job_posting(rt: Runtime, world: World) -> None:
    offer_id = make_offer(rt, world)
    client = world.client
    client.cookies.clear()
    page = client.get(f"/emplois/{offer_id}", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 200
    canonical = f"{rt.settings.public_url.rstrip('/')}/emplois/{offer_id}"
    assert f'<link rel="canonical" href="{canonical}">' in page.text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, flags=re.DOTALL)
    assert block, "no JSON-LD on the page"
    posting = json.loads(block.group(1))
    assert posting["@type"] == "JobPosting" and posting["url"] == canonical
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert f'href="/emplois/{offer_id}"' in client.get("/").text


def test_a_draft_is_not_public_and_the_sitemap_lists_only_published_offers(rt: Runtime, world: World) -> None:
    published = make_offer(rt, world)
    draft = make_offer(rt, world, status="draft")
    client = world.client
    client.cookies.clear()
    assert client.get(f"/emplois/{draft}", headers={"Accept": "text/html"}).status_code == 404
    sitemap = client.get("/sitemap.xml")
    assert sitemap.status_code == 200 and sitemap.headers["content-type"].startswith("application/xml")
    assert f"/emplois/{published}</loc>" in sitemap.text and draft not in sitemap.text


def test_anyone_searches_offers_by_words_place_and_contract(rt: Runtime, world: World) -> None:
    from matcher.jobs.runner import process_outbox

    lyon = make_offer(rt, world, title="Jardinier des parcs de Lyon", commune_insee="69123")
    privas = make_offer(rt, world)
    process_outbox(rt)
    client = world.client
    client.cookies.clear()
    near_lyon = client.get("/", params={"q": "jardinier", "lieu": "69001", "rayon": 20}).text
    assert f"/emplois/{lyon}" in near_lyon and f"/emplois/{privas}" not in near_lyon
    everywhere = client.get("/", params={"q": "jardinier"}).text
    assert f"/emplois/{lyon}" in everywhere and f"/emplois/{privas}" in everywhere
    none = client.get("/", params={"q": "chapelier cybersécurité"}).text
    assert "Aucune offre ne correspond" in none and "/emplois/" not in none
    assert "Commune introuvable" in client.get("/", params={"lieu": "Zzzyx"}).text


def test_a_signed_in_seeker_sees_why_the_offer_fits_and_may_say_interested(rt: Runtime, world: World) -> None:
    from tests.factories import PASSWORD, candidate_body

    client = world.client
    created = client.post("/me/profile", json=candidate_body(), headers=world.as_("seeker"))
    assert created.status_code == 201, created.text
    offer_id = make_offer(rt, world)
    from matcher.jobs.runner import process_outbox

    process_outbox(rt)
    client.cookies.clear()
    anonymous = client.get(f"/emplois/{offer_id}").text
    assert "Pourquoi cette offre me correspond" not in anonymous and "Connectez-vous" in anonymous
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/connexion").text)
    assert token
    client.post("/connexion", data={"email": "camille@example.fr", "password": PASSWORD, "csrf": token.group(1)})
    page = client.get(f"/emplois/{offer_id}").text
    assert "Pourquoi cette offre me correspond" in page
    assert f'action="/candidat/offres/{offer_id}/interet"' in page and "Je suis intéressé·e" in page
