"""Public pages: published offers and the model card."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from api.deps import RuntimeDep
from api.pages.common import commune_of, render, router, templates
from matcher.access.accounts import Role
from matcher.catalog.candidates import own_matches
from matcher.catalog.jsonld import public_offer, published_offer_ids
from matcher.catalog.offers import OfferOrder, public_offer_search
from matcher.catalog.search import SearchFilters
from matcher.core.errors import MatcherError
from matcher.core.models import Category, ContractType
from matcher.governance import transparency
from matcher.ranking.pipeline import MatchEntry
from matcher.reference.taxonomy import GRAND_DOMAINS

ORDERS = {"pertinence": OfferOrder.RELEVANCE, "date": OfferOrder.DATE}


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    rt: RuntimeDep,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    q: Annotated[str, Query(max_length=200)] = "",
    lieu: Annotated[str, Query(max_length=100)] = "",
    rayon: Annotated[int, Query(ge=1, le=300)] = 30,
    contrat: Annotated[list[str] | None, Query(max_length=8)] = None,
    categorie: Annotated[list[str] | None, Query(max_length=3)] = None,
    domaine: Annotated[str, Query(max_length=3)] = "",
    tri: Annotated[str, Query(max_length=20)] = "pertinence",
) -> HTMLResponse:
    """Published offers: searched by words, place (commune or postal code) and radius, contract, category and
    ROME domain; best match or newest first; paginated."""
    limit = 50  # offers per page
    place = commune_of(rt, lieu) if lieu.strip() else None
    contracts = [c for c in ContractType if c.value in (contrat or [])]
    categories = [c for c in Category if c.value in (categorie or [])]
    domain = domaine if domaine in GRAND_DOMAINS else ""
    order = "date" if tri == "date" else "pertinence"
    filters = SearchFilters(commune_insee=place.insee if place else None, radius_km=rayon, contract_types=contracts)
    found = public_offer_search(
        rt,
        query=q.strip(),
        filters=filters,
        domain=domain or None,
        categories=categories,
        order=ORDERS[order],
        limit=limit,
        offset=(page - 1) * limit,
    )
    communes = {o.commune_insee: rt.geography.get(o.commune_insee) for o in found.items}
    chosen = {
        "q": q,
        "lieu": lieu,
        "rayon": rayon if lieu else None,
        "contrat": [c.value for c in contracts],
        "categorie": [c.value for c in categories],
        "domaine": domain,
        "tri": order if order != "pertinence" else None,
    }
    return render(
        request,
        "home.html",
        offers=found.items,
        total=found.total,
        page=page,
        pages=max(1, (found.total + limit - 1) // limit),
        employers=found.employers,
        communes=communes,
        q=q,
        lieu=lieu,
        rayon=rayon,
        contrat=chosen["contrat"],
        contract_types=list(ContractType),
        categorie=chosen["categorie"],
        categories=list(Category),
        domaine=domain,
        domains=GRAND_DOMAINS,
        tri=order,
        unknown_place=bool(lieu.strip()) and place is None,
        query_string=urlencode({k: v for k, v in chosen.items() if v}, doseq=True),
    )


@router.get("/modele", response_class=HTMLResponse)
def model_card(request: Request, rt: RuntimeDep) -> HTMLResponse:
    """The ranking for everyone, in plain French: what it uses and never uses, who decides, how to contest."""
    return render(request, "model.html", **transparency.model_card(rt))


@router.get("/modele/technique", response_class=HTMLResponse)
def model_card_technical(request: Request, rt: RuntimeDep) -> HTMLResponse:
    """The ranking for specialists: model version, weights, training data and its hash, evaluation figures."""
    return render(
        request, "model_technical.html", search_floor=rt.settings.search_min_cosine, **transparency.model_card(rt)
    )


@router.get("/emplois/{offer_id}", response_class=HTMLResponse)
def public_offer_page(request: Request, offer_id: str, rt: RuntimeDep) -> HTMLResponse:
    """A published offer for anyone, at its canonical address, with its schema.org JobPosting embedded."""
    offer, employer_name, posting = public_offer(rt, offer_id=offer_id)
    return render(
        request,
        "public_offer.html",
        offer=offer,
        employer_name=employer_name,
        posting=posting,
        canonical=posting["url"],
        commune=rt.geography.get(offer.commune_insee),
    )


@router.get("/sitemap.xml")
def sitemap(rt: RuntimeDep) -> Response:
    """Every published offer's public page, for search engines."""
    base = rt.settings.public_url.rstrip("/")
    urls = "".join(
        f"<url><loc>{escape(base)}/emplois/{escape(offer_id)}</loc><lastmod>{day}</lastmod></url>"
        for offer_id, day in published_offer_ids(rt)
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{escape(base)}/</loc></url>{urls}</urlset>'
    )
    return Response(body, media_type="application/xml")


def my_match(request: Request, offer_id: str) -> tuple[MatchEntry | None, str | None]:
    """For a signed-in job seeker with a profile, this offer's place among their matches (why it fits them),
    and the version of the model that ranked them."""
    principal = getattr(request.state, "principal", None)
    if principal is None or principal.role is not Role.SEEKER or principal.candidate_id is None:
        return None, None
    try:
        mine = own_matches(request.app.state.runtime, principal=principal, size=200)
    except MatcherError:
        return None, None
    return next((m for m in mine.matches.entries if m.offer_id == offer_id), None), mine.matches.model_version


templates.env.globals["my_match"] = my_match
