"""Pages of the direct approach: the recruiter's approach form and the offer's pipeline (with its measures),
the job seeker's approaches (answer, share or withdraw a contact, turn approaches off, interest), and the
page the signed e-mail link opens. Same use cases and object-level checks as the API."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import BackgroundTasks, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from api.pages.common import flash, redirect, render, router, templates
from matcher.approach import approaches, links, measures, pipeline, views
from matcher.approach.approaches import (
    DECLINE_LABELS,
    AnswerIn,
    ApproachIn,
    DeclineReason,
    PreferencesIn,
    TemplateIn,
    why_text,
)
from matcher.approach.measures import Measures
from matcher.approach.pipeline import STAGE_LABELS, Stage, StageIn
from matcher.catalog.offers import offer_listing
from matcher.core.errors import MatcherError
from matcher.core.models import OfferStatus

# The pipeline page shows first who needs the recruiter now, last who is only on the shortlist.
BOARD_ORDER = (
    Stage.ACCEPTED,
    Stage.INTERESTED,
    Stage.INTERVIEW,
    Stage.HIRED,
    Stage.APPROACHED,
    Stage.DECLINED,
    Stage.EXPIRED,
    Stage.NOT_RETAINED,
    Stage.SHORTLISTED,
)
SOURCE_LABELS = {"shortlist": "présélection", "search": "recherche", "interest": "intérêt du candidat"}
STATUS_LABELS = {
    "open": "En attente de réponse",
    "accepted": "Acceptée",
    "declined": "Déclinée",
    "expired": "Expirée sans réponse",
    "closed": "Close (offre clôturée)",
}


def _error(exc: MatcherError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"champ {'.'.join(str(p) for p in first['loc']) or 'formulaire'} invalide"
    return exc.detail


def offer_measures(request: Request, offer_id: str) -> Measures | None:
    """The approach measures of an offer, for the offer's own page (None for whoever may not see them)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return None
    try:
        return measures.for_offer(request.app.state.runtime, principal=principal, offer_id=offer_id)
    except MatcherError:
        return None


def open_offers(request: Request) -> list[tuple[str, str]]:
    """(id, title) of the published offers the signed-in recruiter acts for: where a found profile may be approached."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return []
    found = offer_listing(request.app.state.runtime, principal=principal, status=OfferStatus.PUBLISHED, limit=200)
    return [(o.id, o.title) for o in found.items]


templates.env.globals["approach_measures"] = offer_measures
templates.env.globals["open_offers"] = open_offers


# --- recruiters -------------------------------------------------------------------------------


@router.get("/offres/{offer_id}/approches/nouvelle")
def approach_form(
    request: Request,
    offer_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    candidat: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Choose candidates of the latest shortlist (or the interested, or one found by a search) and write the message."""
    form = views.approach_form(rt, principal=principal, offer_id=offer_id, searched_id=candidat)
    return render(
        request,
        "approach_new.html",
        offer=form.offer,
        shortlist=form.shortlist,
        places=form.places,
        interested=form.interested,
        searched=form.searched,
        stages=form.stages,
        offer_template=form.template,
        why=why_text,
        limit=rt.settings.approach_message_max,
        quota=rt.settings.approach_daily_quota,
        STAGE_LABELS=STAGE_LABELS,
    )


@router.get("/recruteur/approche")
def approach_found(
    offre: Annotated[str, Query(max_length=64)], candidat: Annotated[str, Query(max_length=64)]
) -> Response:
    """From a search result: the approach form of the offer chosen, with that profile."""
    return redirect(f"/offres/{quote(offre, safe='')}/approches/nouvelle?candidat={quote(candidat, safe='')}")


@router.post("/offres/{offer_id}/approches")
async def send_approaches(
    request: Request,
    offer_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    tasks: BackgroundTasks,
    source: Annotated[str, Form(max_length=16)] = "shortlist",
    message: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    form = await request.form()
    chosen = [str(v) for v in form.getlist("candidate_ids")][:100]
    back = f"/offres/{offer_id}/approches/nouvelle"
    if not chosen:
        flash(request, "Aucune approche envoyée : cochez au moins un candidat.", "error")
        return redirect(back)
    try:
        data = ApproachIn(candidate_ids=chosen, message=message, source=source)  # type: ignore[arg-type]
        sent = approaches.send(rt, principal=principal, offer_id=offer_id, data=data)
    except (MatcherError, ValidationError) as exc:
        flash(request, f"Aucune approche envoyée : {_error(exc)}.", "error")
        return redirect(back)
    tasks.add_task(runner.kick)
    flash(request, f"{len(sent)} approche(s) envoyée(s). Les candidats sont prévenus par e-mail et dans leur espace.")
    return redirect(f"/offres/{offer_id}/vivier")


@router.post("/offres/{offer_id}/modele-approche")
def save_template(
    request: Request,
    offer_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    text: Annotated[str, Form(max_length=5000)],
) -> Response:
    try:
        approaches.set_template(rt, principal=principal, offer_id=offer_id, data=TemplateIn(text=text))
    except (MatcherError, ValidationError) as exc:
        flash(request, f"Modèle non enregistré : {_error(exc)}.", "error")
    else:
        flash(request, "Modèle de message enregistré pour cette offre.")
    return redirect(f"/offres/{offer_id}/approches/nouvelle")


@router.get("/offres/{offer_id}/vivier")
def pipeline_page(
    request: Request,
    offer_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    etape: Annotated[str, Query(max_length=20)] = "",
    origine: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The offer's pipeline grouped by stage, each candidate's history, the contacts shared, and the measures."""
    stage = Stage(etape) if etape in Stage.__members__.values() else None
    source = approaches.Source(origine) if origine in approaches.Source.__members__.values() else None
    seen = views.pipeline_view(rt, principal=principal, offer_id=offer_id, stage=stage, source=source)
    groups = [(s, [e for e in seen.board.entries if e.stage == s]) for s in BOARD_ORDER]
    return render(
        request,
        "approach_pipeline.html",
        board=seen.board,
        groups=[g for g in groups if g[1]],
        approaches=seen.approaches,
        measures=seen.measures,
        names=seen.names,
        etape=etape,
        origine=origine,
        STAGE_LABELS=STAGE_LABELS,
        SOURCE_LABELS=SOURCE_LABELS,
        DECLINE_LABELS={r.value: label for r, label in DECLINE_LABELS.items()},
    )


@router.post("/offres/{offer_id}/vivier/{candidate_id}")
def move_candidate(
    request: Request,
    offer_id: str,
    candidate_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    stage: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    anchor = f"/offres/{offer_id}/vivier#c-{candidate_id}"
    try:
        data = StageIn(stage=stage, reason=reason.strip() or None)  # type: ignore[arg-type]
        pipeline.move(rt, principal=principal, offer_id=offer_id, candidate_id=candidate_id, data=data)
    except (MatcherError, ValidationError) as exc:
        detail = "un motif de 3 caractères au moins" if isinstance(exc, ValidationError) else _error(exc)
        flash(request, f"Étape non enregistrée : {detail}.", "error")
        return redirect(anchor)
    flash(request, f"Étape enregistrée : {STAGE_LABELS[Stage(stage)]}.")
    return redirect(anchor)


# --- job seekers ------------------------------------------------------------------------------


def _answer_form(answer: str, share_email: str, share_phone: str, phone: str, reason: str) -> AnswerIn:
    return AnswerIn(
        answer=answer,  # type: ignore[arg-type]
        share_email=bool(share_email),
        share_phone=bool(share_phone),
        phone=phone.strip() or None,
        reason=reason or None,  # type: ignore[arg-type]
    )


@router.get("/candidat/approches")
def seeker_approaches(request: Request, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    if principal.candidate_id is None:
        return redirect("/candidat/profil")
    mine = views.seeker_approaches(rt, principal=principal)
    return render(
        request,
        "seeker_approaches.html",
        approaches=mine.approaches,
        employers=mine.employers,
        preferences=mine.preferences,
        interests=mine.interests,
        reasons=list(DeclineReason),
        DECLINE_LABELS=DECLINE_LABELS,
        STATUS=STATUS_LABELS,
        STAGE_LABELS=STAGE_LABELS,
    )


@router.post("/candidat/approches/{approach_id}/reponse")
def seeker_answer(
    request: Request,
    approach_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    tasks: BackgroundTasks,
    answer: Annotated[str, Form(max_length=10)],
    share_email: Annotated[str, Form(max_length=5)] = "",
    share_phone: Annotated[str, Form(max_length=5)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    anchor = f"/candidat/approches#a-{approach_id}"
    try:
        data = _answer_form(answer, share_email, share_phone, phone, reason)
        done = approaches.answer(rt, principal=principal, approach_id=approach_id, data=data)
    except (MatcherError, ValidationError) as exc:
        flash(request, f"Réponse non enregistrée : {_error(exc)}.", "error")
        return redirect(anchor)
    tasks.add_task(runner.kick)
    said = "acceptée : l'employeur voit les coordonnées choisies" if done.status == "accepted" else "déclinée"
    flash(request, f"Proposition {said}.")
    return redirect(anchor)


@router.post("/candidat/approches/{approach_id}/retrait")
def seeker_withdraw(request: Request, approach_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    try:
        approaches.withdraw_contact(rt, principal=principal, approach_id=approach_id)
    except MatcherError as exc:
        flash(request, f"Rien n'a été retiré : {exc.detail}.", "error")
    else:
        flash(request, "Vos coordonnées ne sont plus visibles de l'employeur.")
    return redirect(f"/candidat/approches#a-{approach_id}")


@router.post("/candidat/approches/preferences")
def seeker_preferences(
    request: Request,
    rt: RuntimeDep,
    principal: PrincipalDep,
    accepts: Annotated[str, Form(max_length=5)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    try:
        data = PreferencesIn(accepts_approaches=bool(accepts), phone=phone.strip() or None)
        approaches.set_preferences(rt, principal=principal, data=data)
    except (MatcherError, ValidationError):
        flash(request, "Préférences non enregistrées : numéro de téléphone invalide.", "error")
    else:
        flash(request, "Préférences enregistrées." + ("" if data.accepts_approaches else " Plus aucune approche."))
    return redirect("/candidat/approches#preferences")


@router.post("/candidat/offres/{offer_id}/interet")
def seeker_interest(request: Request, offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    try:
        marked = pipeline.mark_interest(rt, principal=principal, offer_id=offer_id)
    except MatcherError as exc:
        flash(request, f"Intérêt non enregistré : {exc.detail}.", "error")
    else:
        flash(request, f"Intérêt transmis au recruteur de l'offre « {marked.offer_title} ».")
    return redirect(f"/candidat/offres#o-{offer_id}")


# --- the signed e-mail link -------------------------------------------------------------------


def _linked(request: Request, rt: RuntimeDep, token: str, *, status_code: int = 200) -> Response:
    linked = approaches.by_link(rt, approach_id=links.approach_of(rt.settings, token))
    return render(
        request,
        "approach_answer.html",
        status_code=status_code,
        linked=linked,
        approach=linked.approach,
        token=token,
        reasons=list(DeclineReason),
        DECLINE_LABELS=DECLINE_LABELS,
        STATUS=STATUS_LABELS,
    )


@router.get("/approches/reponse/{token}")
def link_page(request: Request, token: str, rt: RuntimeDep) -> Response:
    """What the e-mail link opens: the proposal and the two answers (a GET changes nothing: mail scanners click)."""
    return _linked(request, rt, token)


@router.post("/approches/reponse/{token}")
def link_answer(
    request: Request,
    token: str,
    rt: RuntimeDep,
    runner: RunnerDep,
    tasks: BackgroundTasks,
    answer: Annotated[str, Form(max_length=10)],
    share_email: Annotated[str, Form(max_length=5)] = "",
    share_phone: Annotated[str, Form(max_length=5)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    approach_id = links.approach_of(rt.settings, token)
    try:
        data = _answer_form(answer, share_email, share_phone, phone, reason)
        approaches.answer_by_link(rt, approach_id=approach_id, data=data)
    except (MatcherError, ValidationError) as exc:
        flash(request, f"Réponse non enregistrée : {_error(exc)}.", "error")
        return _linked(request, rt, token, status_code=422)
    tasks.add_task(runner.kick)
    flash(request, "Merci, votre réponse est transmise à l'employeur.")
    return redirect(f"/approches/reponse/{token}")
