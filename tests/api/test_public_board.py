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


def offer_links(page: str) -> list[str]:
    """The offers a results page lists, in their order."""
    return re.findall(r'<td><a href="/emplois/([^"]+)">', page)


def test_anyone_filters_offers_by_domain_and_category_and_sorts_by_relevance_or_date(rt: Runtime, world: World) -> None:
    from matcher.jobs.runner import process_outbox

    gardener = make_offer(
        rt,
        world,
        title="Jardinier jardinier des espaces verts",
        description="Jardinier : taille, tonte, jardinier confirmé.",
        category="C",
        published_at="2025-01-10",
    )
    secretary = make_offer(
        rt,
        world,
        title="Secrétaire de mairie",
        description="Accueil, état civil ; aide ponctuelle au jardinier communal.",
        rome_code="M1607",
        required_skills=[],
        category="B",
        published_at="2025-03-01",
    )
    process_outbox(rt)
    client = world.client
    client.cookies.clear()
    assert offer_links(client.get("/", params={"domaine": "M"}).text) == [secretary]
    assert offer_links(client.get("/", params={"domaine": "A", "q": "jardinier"}).text) == [gardener]
    assert offer_links(client.get("/", params={"categorie": "C"}).text) == [gardener]
    assert offer_links(client.get("/", params={"categorie": ["B", "C"]}).text) == [secretary, gardener]
    assert offer_links(client.get("/", params={"q": "jardinier"}).text) == [gardener, secretary]  # best match first
    by_date = client.get("/", params={"q": "jardinier", "tri": "date"}).text
    assert offer_links(by_date) == [secretary, gardener]
    assert '<option value="date" selected>' in by_date and '<option value="M">Support à l&#39;entreprise' in by_date
    none = client.get("/", params={"domaine": "J"}).text
    assert offer_links(none) == [] and "Aucune offre ne correspond" in none
    assert len(offer_links(client.get("/", params={"domaine": "Z"}).text)) == 2  # not a domain: no filter


def test_the_pages_keep_every_filter(rt: Runtime, world: World) -> None:
    from matcher.jobs.runner import process_outbox

    for n in range(55):
        make_offer(rt, world, title=f"Jardinier n° {n}", category="C", published_at=f"2025-01-{n % 28 + 1:02d}")
    process_outbox(rt)
    client = world.client
    client.cookies.clear()
    params = {"q": "jardinier", "domaine": "A", "categorie": "C", "contrat": "contractuel", "tri": "date"}
    first = client.get("/", params=params).text
    assert "Page 1 / 2" in first and len(offer_links(first)) == 50
    link = re.search(r'<a href="(/\?page=2[^"]*)" rel="next">', first)
    assert link
    for kept in ("q=jardinier", "domaine=A", "categorie=C", "contrat=contractuel", "tri=date"):
        assert kept in link.group(1)
    second = client.get(link.group(1).replace("&amp;", "&")).text
    assert len(offer_links(second)) == 5 and not set(offer_links(second)) & set(offer_links(first))
