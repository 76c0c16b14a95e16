"""Public pages: published offers and the model card."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from api.deps import RuntimeDep
from api.pages.common import render, router
from matcher.catalog.employers import list_employers
from matcher.catalog.offers import list_offers
from matcher.core.models import OfferStatus
from matcher.governance import transparency
from matcher.ranking.features import FEATURE_LABELS, FEATURES
from matcher.ranking.ranker import load_ranker
from matcher.ranking.scorer import LearnedScorer


@router.get("/", response_class=HTMLResponse)
def home(request: Request, rt: RuntimeDep, page: Annotated[int, Query(ge=1, le=1000)] = 1) -> HTMLResponse:
    size = 50
    with rt.store.read() as session:
        offers, total = list_offers(session, status=OfferStatus.PUBLISHED, limit=size, offset=(page - 1) * size)
        employers = {e.id: e for e in list_employers(session)}
    communes = {o.commune_insee: rt.geography.get(o.commune_insee) for o in offers}
    return render(
        request,
        "home.html",
        offers=offers,
        total=total,
        page=page,
        pages=(total + size - 1) // size,
        employers=employers,
        communes=communes,
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
    with rt.store.read() as session:
        facts = transparency.model_card_facts(session)
    return render(
        request,
        "model.html",
        features=sorted(features, key=lambda f: -f[2]),
        version=scorer.version,
        manifest=manifest,
        metrics=metrics,
        embedding_model=rt.settings.embedding_model or "all-MiniLM-L6-v2",
        **facts,
    )
