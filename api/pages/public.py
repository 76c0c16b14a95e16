"""Public pages: published offers and the model card."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from api.deps import RuntimeDep
from api.pages.common import render, router
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
