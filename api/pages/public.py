"""Public pages: published offers and the model card."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from api.deps import RuntimeDep
from api.pages.common import render, router
from matcher.catalog.jsonld import public_offer, published_offer_ids
from matcher.catalog.offers import offer_listing
from matcher.governance import transparency


@router.get("/", response_class=HTMLResponse)
def home(request: Request, rt: RuntimeDep, page: Annotated[int, Query(ge=1, le=1000)] = 1) -> HTMLResponse:
    limit = 50  # offers per page
    found = offer_listing(rt, principal=None, limit=limit, offset=(page - 1) * limit)
    communes = {o.commune_insee: rt.geography.get(o.commune_insee) for o in found.items}
    return render(
        request,
        "home.html",
        offers=found.items,
        total=found.total,
        page=page,
        pages=(found.total + limit - 1) // limit,
        employers=found.employers,
        communes=communes,
    )


@router.get("/modele", response_class=HTMLResponse)
def model_card(request: Request, rt: RuntimeDep) -> HTMLResponse:
    """Public description of the ranking: purpose, criteria and weights, training data, evaluation, limits."""
    return render(request, "model.html", **transparency.model_card(rt))


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
