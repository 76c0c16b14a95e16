"""Server-rendered pages, in French, over the same services as the API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.deps import RuntimeDep
from matcher import services
from matcher.domain import OfferStatus
from matcher.features import FEATURE_LABELS, FEATURES
from matcher.ranker import load_ranker
from matcher.scoring import LearnedScorer
from matcher.shortlist import build_shortlist

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)

RELATIONS = {
    "same": "même métier",
    "neighbour": "métier proche (mobilité ROME)",
    "domain": "même domaine",
    "none": "autre métier",
}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, rt: RuntimeDep, page: Annotated[int, Query(ge=1, le=1000)] = 1) -> HTMLResponse:
    size = 50
    with rt.store.read() as session:
        offers, total = services.list_offers(
            session, status=OfferStatus.PUBLISHED, limit=size, offset=(page - 1) * size
        )
        employers = {e.id: e for e in services.list_employers(session)}
    communes = {o.commune_insee: rt.geography.get(o.commune_insee) for o in offers}
    return templates.TemplateResponse(
        request,
        "home.html",
        {
            "offers": offers,
            "total": total,
            "page": page,
            "pages": (total + size - 1) // size,
            "employers": employers,
            "communes": communes,
        },
    )


@router.get("/modele", response_class=HTMLResponse)
def model_card(request: Request, rt: RuntimeDep) -> HTMLResponse:
    """Public description of the ranking: purpose, criteria and weights, training data, evaluation, limits."""
    scorer = rt.scorer
    manifest = load_ranker(rt.settings.ranker_path)[1] if isinstance(scorer, LearnedScorer) else None
    if isinstance(scorer, LearnedScorer):
        weights = dict(zip(scorer.features, scorer.ranker.coef_.sum(axis=1).tolist(), strict=True))
    else:
        weights = dict(scorer.weights)  # type: ignore[attr-defined]
    features = [(f, FEATURE_LABELS[f], weights.get(f, 0.0)) for f in FEATURES]
    metrics = [(k, v) for k, v in manifest.metrics.items() if isinstance(v, dict)] if manifest else []
    return templates.TemplateResponse(
        request,
        "model.html",
        {
            "features": sorted(features, key=lambda f: -f[2]),
            "version": scorer.version,
            "manifest": manifest,
            "metrics": metrics,
            "embedding_model": rt.settings.embedding_model or "all-MiniLM-L6-v2",
        },
    )


@router.get("/offres/{offer_id}", response_class=HTMLResponse)
def offer_page(request: Request, offer_id: str, rt: RuntimeDep) -> HTMLResponse:
    with rt.store.read() as session:
        offer = services.get_offer(session, offer_id=offer_id)
        employer = services.get_employer(session, employer_id=offer.employer_id)
    shortlist = build_shortlist(rt, offer_id=offer_id, limit=20)
    code = offer.rome_code or (shortlist.entries[0].explanation.occupation if shortlist.entries else None)
    occupation = rt.taxonomy.occupation(code) if code else None
    return templates.TemplateResponse(
        request,
        "offer.html",
        {
            "offer": offer,
            "employer": employer,
            "shortlist": shortlist,
            "occupation": occupation,
            "commune": rt.geography.get(offer.commune_insee),
            "relations": RELATIONS,
        },
    )
