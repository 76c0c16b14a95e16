"""Recruiters' pages: their employers' offers, kept shortlists with explanations and decisions, direct search,
webhook deliveries. Same services and object-level checks as the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import BackgroundTasks, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from api.pages.common import commune_of, flash, redirect, render, rome_code, router
from matcher.catalog.offers import offer_listing, set_occupation
from matcher.catalog.search import SearchFilters, SearchIn, search_candidates
from matcher.core.errors import InvalidInput
from matcher.core.models import ContractType, Decision, FeedbackIn
from matcher.notify.deliveries import delivery_page
from matcher.shortlists import decisions
from matcher.shortlists.kept import build, offer_with_shortlists


@router.get("/recruteur/offres")
def offers(request: Request, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    found = offer_listing(rt, principal=principal, limit=200)
    employers = {e.id: e.name for e in found.employers.values()}
    communes = {o.commune_insee: rt.geography.get(o.commune_insee) for o in found.items}
    return render(
        request, "recruiter_offers.html", offers=found.items, total=found.total, employers=employers, communes=communes
    )


@router.get("/offres/{offer_id}")
def offer_page(request: Request, offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    """The offer and its latest kept shortlist, each place explained, with the decision form."""
    seen = offer_with_shortlists(rt, principal=principal, offer_id=offer_id, limit=50)
    offer, page = seen.offer, seen.latest
    explained = [p.explanation for p in page.places if p.explanation] if page else []
    code = offer.rome_code or next((e.occupation for e in explained if e.occupation), None)
    widest = max((c.contribution for e in explained for c in e.contributions), default=0.0)
    return render(
        request,
        "offer.html",
        offer=offer,
        employer=seen.employer,
        shortlist=page,
        earlier=len(seen.kept) - 1 if seen.kept else 0,
        occupation=rt.taxonomy.occupation(code) if code else None,
        reading=seen.reading,
        commune=rt.geography.get(offer.commune_insee),
        widest=max(widest, 1e-6),
        decisions=list(Decision),
    )


@router.post("/offres/{offer_id}/preselection")
def build_shortlist(
    request: Request, offer_id: str, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Response:
    summary = build(rt, principal=principal, offer_id=offer_id)
    tasks.add_task(runner.kick)  # its webhook delivery
    flash(request, f"Présélection construite : {summary.size} profils classés.")
    return redirect(f"/offres/{offer_id}")


@router.post("/offres/{offer_id}/metier")
def correct_occupation(
    request: Request,
    offer_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    tasks: BackgroundTasks,
    metier: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The recruiter confirms or corrects the offer's occupation, and the shortlist is rebuilt with it."""
    anchor = f"/offres/{offer_id}#lecture"
    code = rome_code(rt, metier) if metier.strip() else None
    if code is None:
        flash(
            request, "Métier non enregistré : choisissez un intitulé dans la liste proposée ou un code ROME.", "error"
        )
        return redirect(anchor)
    try:
        set_occupation(rt, principal=principal, offer_id=offer_id, rome_code=code)
    except InvalidInput as exc:
        flash(request, f"Métier non enregistré : {exc.detail}.", "error")
        return redirect(anchor)
    summary = build(rt, principal=principal, offer_id=offer_id)
    tasks.add_task(runner.kick)  # the offer's reindexing, the shortlist's webhook delivery
    label = occupation.label if (occupation := rt.taxonomy.occupation(code)) else code
    flash(request, f"Métier enregistré : {code} — {label}. Présélection reconstruite : {summary.size} profils classés.")
    return redirect(f"/offres/{offer_id}")


@router.post("/offres/{offer_id}/decisions")
def record_decision(
    request: Request,
    offer_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    candidate_id: Annotated[str, Form(max_length=100)],
    decision: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    anchor = f"/offres/{offer_id}#place-{candidate_id}"
    try:
        data = FeedbackIn(candidate_id=candidate_id, decision=decision, reason=reason.strip() or None)  # type: ignore[arg-type]
    except ValidationError:
        message = "Décision non enregistrée : choisissez une décision ; un motif compte au moins 3 caractères."
        flash(request, message, "error")
        return redirect(anchor)
    try:
        decisions.record_decision(rt, principal=principal, offer_id=offer_id, data=data)
    except InvalidInput as exc:
        flash(request, f"Décision non enregistrée : {exc.detail}.", "error")
        return redirect(anchor)
    flash(request, "Décision enregistrée.")
    return redirect(anchor)


@router.get("/recruteur/candidats")
def search(
    request: Request,
    rt: RuntimeDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(max_length=500)] = "",
    metier: Annotated[str, Query(max_length=200)] = "",
    commune: Annotated[str, Query(max_length=200)] = "",
    contrat: Annotated[list[ContractType] | None, Query()] = None,
) -> Response:
    """Direct search among profiles opened to employers: text and filters (no ranking model)."""
    asked = bool(q or metier or commune or contrat)
    errors: dict[str, str] = {}
    rome = rome_code(rt, metier) if metier else None
    if metier and rome is None:
        errors["metier"] = "Métier inconnu : choisissez-le dans la liste proposée."
    place = commune_of(rt, commune)
    if commune and place is None:
        errors["commune"] = "Commune inconnue : saisissez un nom, un code postal ou un code INSEE."
    results = None
    if asked and not errors:
        filters = SearchFilters(
            rome_codes=[rome] if rome else [],
            contract_types=contrat or [],
            commune_insee=place.insee if place else None,
        )
        results = search_candidates(
            rt, SearchIn(query=q, filters=filters, limit=30), employer_ids=principal.employer_ids
        )
    hits = results.items if results else []
    return render(
        request,
        "recruiter_search.html",
        q=q,
        metier=metier,
        commune=commune,
        contrat=[c.value for c in contrat or []],
        contract_types=list(ContractType),
        errors=errors,
        results=results,
        occupations={c: rt.taxonomy.occupation(c) for h in hits for c in h.desired_occupations},
    )


@router.get("/recruteur/webhooks")
def webhook_deliveries(
    request: Request, rt: RuntimeDep, principal: PrincipalDep, page: Annotated[int, Query(ge=1, le=1000)] = 1
) -> Response:
    limit = 50  # deliveries per page
    seen = delivery_page(rt, principal=principal, limit=limit, offset=(page - 1) * limit)
    return render(
        request,
        "recruiter_deliveries.html",
        deliveries=seen.deliveries,
        employers=seen.employers,
        page=page,
        limit=limit,
    )
