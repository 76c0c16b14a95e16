"""Job seekers' pages: profile (occupations, skills, mobility area, visibility and consent), matched offers with
why, alerts, and their rights over their data (export, erasure). Same services as ``/me`` in the API."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import BackgroundTasks, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from api.pages.common import code_of, commune_of, flash, redirect, render, rome_code, router
from matcher.access.accounts import Principal
from matcher.catalog import candidates, search
from matcher.catalog.search import Frequency, SavedSearchIn
from matcher.core.errors import Conflict, InvalidInput
from matcher.core.models import CandidateIn, ContractType
from matcher.governance import privacy
from matcher.runtime import Runtime

ALERTS = "offers"
FIELD_LABELS = {
    "display_name": "Nom affiché",
    "title": "Poste recherché",
    "summary": "Présentation",
    "desired_occupations": "Métiers recherchés",
    "skills": "Compétences",
    "mobility": "Zone de mobilité",
    "communes": "Communes de la zone de mobilité",
    "radius_km": "Rayon",
    "contract_types": "Types de contrat",
    "name": "Nom de l'alerte",
}
FREQUENCIES = {"daily": "chaque jour", "weekly": "chaque semaine", "none": "jamais (consultation seulement)"}


def _profile_state(rt: Runtime, values: dict[str, Any], talent_pool: bool) -> dict[str, Any]:
    """What the profile form shows: codes with their labels."""
    codes = values.get("desired_occupations", [])
    occupations = [(c, o.label if (o := rt.taxonomy.occupation(c)) else c) for c in codes]
    insees = values["mobility"]["communes"]
    places = [(c, f"{g.name} ({g.postal_code})" if (g := rt.geography.get(c)) else c) for c in insees]
    return {
        "display_name": values.get("display_name", ""),
        "title": values.get("title", ""),
        "summary": values.get("summary", ""),
        "occupations": occupations,
        "skills": [(c, rt.taxonomy.skill_label(c)) for c in values.get("skills", [])],
        "communes": places,
        "radius_km": _number(values["mobility"]["radius_km"]),
        "contract_types": [str(c) for c in values.get("contract_types", [])],
        "visibility": str(values.get("visibility", "private")),
        "talent_pool": talent_pool,
    }


def _number(value: object) -> object:
    """20.0 shows as 20; what the person typed shows as typed."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _current(rt: Runtime, principal: Principal) -> tuple[dict[str, Any], bool]:
    own = candidates.own_profile_with_consents(rt, principal=principal)
    if own is None:
        empty = {"mobility": {"communes": [], "radius_km": 30}, "contract_types": ["contractuel"]}
        return empty, False
    values = own.candidate.model_dump(mode="json", include=set(CandidateIn.model_fields))
    # A work context ("Travail de nuit") is refused as a skill since 30 November 2026; one stored before is left out
    # of the form, so that saving it drops it rather than being refused for a skill the person did not just type.
    values["skills"] = rt.taxonomy.without_contexts(values.get("skills", []))
    return values, own.talent_pool


@router.get("/candidat/profil")
def profile_form(request: Request, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    values, pool = _current(rt, principal)
    return render(
        request,
        "seeker_profile.html",
        form=_profile_state(rt, values, pool),
        errors={},
        creating=principal.candidate_id is None,
        contract_types=list(ContractType),
    )


def _skill_code(rt: Runtime, text: str) -> str | None:
    code = code_of(text)
    if code in rt.taxonomy.skills:
        return code
    found = rt.taxonomy.search_skills(text, 1)
    return found[0].code if found else None


@router.post("/candidat/profil")
def save_profile(
    request: Request,
    rt: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    tasks: BackgroundTasks,
    display_name: Annotated[str, Form(max_length=200)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    summary: Annotated[str, Form(max_length=5000)] = "",
    occupations: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    occupation_new: Annotated[str, Form(max_length=200)] = "",
    skills: Annotated[list[str], Form()] = [],  # noqa: B006
    skill_new: Annotated[str, Form(max_length=300)] = "",
    communes: Annotated[list[str], Form()] = [],  # noqa: B006
    commune_new: Annotated[str, Form(max_length=200)] = "",
    radius_km: Annotated[str, Form(max_length=10)] = "",
    contract_types: Annotated[list[str], Form()] = [],  # noqa: B006
    visibility: Annotated[str, Form(max_length=20)] = "private",
    talent_pool: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    values, _ = _current(rt, principal)
    errors: dict[str, str] = {}
    occupations, skills, communes = list(dict.fromkeys(occupations)), list(dict.fromkeys(skills)), list(communes)
    if occupation_new.strip():
        code = rome_code(rt, occupation_new)
        if code is None:
            errors["occupations"] = f"Métier inconnu : « {occupation_new} »."
        elif code not in occupations:
            occupations.append(code)
    if skill_new.strip():
        skill = _skill_code(rt, skill_new)
        context = rt.taxonomy.context_named(code_of(skill_new)) if skill is None else None
        if context is not None:  # "Travail de nuit": a condition of a job, which the autocomplete does not offer
            errors["skills"] = (
                f"« {context.label} » est une condition de travail, pas une compétence : "
                "elle ne figure pas parmi vos compétences."
            )
        elif skill is None:
            errors["skills"] = f"Compétence inconnue : « {skill_new} »."
        elif skill not in skills:
            skills.append(skill)
    if commune_new.strip():
        found = commune_of(rt, commune_new)
        if found is None:
            errors["communes"] = f"Commune inconnue : « {commune_new} »."
        elif found.insee not in communes:
            communes.append(found.insee)
    values.update(
        display_name=display_name.strip(),
        title=title.strip(),
        summary=summary.strip(),
        desired_occupations=occupations,
        skills=skills,
        mobility={"communes": communes, "radius_km": radius_km.replace(",", ".").strip() or "0"},
        contract_types=contract_types,
        visibility=visibility,
        talent_pool=talent_pool == "oui",
    )
    data: CandidateIn | None = None
    if not errors:
        try:
            data = CandidateIn.model_validate(values)
        except ValidationError as exc:
            for e in exc.errors():
                field = next((str(p) for p in reversed(e["loc"]) if str(p) in FIELD_LABELS), "display_name")
                errors.setdefault(field, _message(e["type"]))
    if data is not None:
        try:
            candidates.save_own_profile(rt, principal=principal, data=data)
        except InvalidInput as exc:
            errors[exc.field.split(".")[0]] = exc.detail
        except Conflict:  # the form was sent twice: the first one created the profile
            errors["display_name"] = "Votre profil existe déjà : rechargez la page pour le modifier."
        else:
            tasks.add_task(runner.kick)  # re-index: matches follow the new profile
            flash(request, "Profil enregistré.")
            return redirect("/candidat/offres")
    if isinstance(values["mobility"]["radius_km"], str):
        values["mobility"]["radius_km"] = radius_km
    return render(
        request,
        "seeker_profile.html",
        status_code=422,
        form=_profile_state(rt, values, talent_pool == "oui"),
        errors=errors,
        creating=principal.candidate_id is None,
        contract_types=list(ContractType),
    )


def _message(kind: str) -> str:
    return {
        "missing": "Champ obligatoire.",
        "string_too_short": "Champ obligatoire.",
        "too_short": "Choisissez au moins un élément.",
        "float_parsing": "Indiquez un nombre de kilomètres.",
        "greater_than": "Indiquez un nombre positif.",
        "less_than_equal": "Valeur trop grande.",
        "too_long": "Trop d'éléments.",
    }.get(kind, "Valeur invalide.")


@router.get("/candidat/offres")
def matches(request: Request, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    if principal.candidate_id is None:
        flash(request, "Créez d'abord votre profil pour voir les offres qui vous correspondent.")
        return redirect("/candidat/profil")
    mine = candidates.own_matches(rt, principal=principal, size=20)
    found, candidate = mine.matches, mine.candidate
    explained = [e.explanation for e in found.entries]
    widest = max((c.contribution for e in explained for c in e.contributions), default=0.0)
    return render(
        request,
        "seeker_matches.html",
        matches=found,
        candidate=candidate,
        employers=mine.employers,
        communes={e.commune_insee: rt.geography.get(e.commune_insee) for e in found.entries},
        places=[rt.geography.get(c) for c in candidate.mobility.communes],
        widest=max(widest, 1e-6),
    )


@router.get("/candidat/alertes")
def alerts(request: Request, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    return _alerts_page(request, rt, principal, form={"frequency": "weekly", "radius_km": 30}, errors={})


def _alerts_page(
    request: Request, rt: Runtime, principal: Principal, *, form: dict[str, Any], errors: dict[str, str]
) -> Response:
    saved = search.saved_searches(rt, principal=principal, kind=ALERTS)
    communes = {c: rt.geography.get(c) for s in saved if (c := s.filters.commune_insee)}
    return render(
        request,
        "seeker_alerts.html",
        status_code=422 if errors else 200,
        alerts=saved,
        communes=communes,
        frequencies=FREQUENCIES,
        form=form,
        errors=errors,
    )


@router.post("/candidat/alertes")
def create_alert(
    request: Request,
    rt: RuntimeDep,
    principal: PrincipalDep,
    name: Annotated[str, Form(max_length=200)] = "",
    query: Annotated[str, Form(max_length=500)] = "",
    commune: Annotated[str, Form(max_length=200)] = "",
    radius_km: Annotated[str, Form(max_length=10)] = "30",
    frequency: Annotated[str, Form(max_length=10)] = "weekly",
) -> Response:
    form = {"name": name, "query": query, "commune": commune, "radius_km": radius_km, "frequency": frequency}
    errors: dict[str, str] = {}
    place = commune_of(rt, commune)
    if commune.strip() and place is None:
        errors["commune"] = f"Commune inconnue : « {commune} »."
    try:
        data = SavedSearchIn.model_validate(
            {
                "name": name,
                "query": query,
                "filters": {"commune_insee": place.insee if place else None, "radius_km": radius_km.replace(",", ".")},
                "frequency": frequency if frequency in FREQUENCIES else Frequency.WEEKLY,
            }
        )
    except ValidationError as exc:
        for e in exc.errors():
            field = str(e["loc"][-1]) if e["loc"][-1] in ("name", "radius_km") else "name"
            errors.setdefault(field, _message(e["type"]))
    if errors:
        return _alerts_page(request, rt, principal, form=form, errors=errors)
    search.save_search(rt, principal=principal, kind=ALERTS, data=data)
    flash(request, f"Alerte « {data.name} » créée.")
    return redirect("/candidat/alertes")


@router.post("/candidat/alertes/{alert_id}/suppression")
def delete_alert(request: Request, alert_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    search.delete_search(rt, principal=principal, kind=ALERTS, search_id=alert_id)
    flash(request, "Alerte supprimée.")
    return redirect("/candidat/alertes")


@router.get("/candidat/donnees")
def my_data(request: Request, principal: PrincipalDep) -> Response:
    return render(request, "seeker_data.html", has_profile=principal.candidate_id is not None)


@router.get("/candidat/donnees/export")
def export(rt: RuntimeDep, principal: PrincipalDep) -> Response:
    """Everything held about the person, as JSON (GDPR art. 15 and 20), the same as ``GET /me/export``."""
    body = privacy.export_own_data(rt, principal=principal)
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2, default=str),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="mes-donnees.json"', "Cache-Control": "no-store"},
    )


@router.get("/candidat/effacement")
def erase_form(request: Request, principal: PrincipalDep) -> Response:
    return render(request, "seeker_erase.html", has_profile=principal.candidate_id is not None, error=None)


@router.post("/candidat/effacement")
def erase(
    request: Request, rt: RuntimeDep, principal: PrincipalDep, confirmation: Annotated[str, Form(max_length=10)] = ""
) -> Response:
    """Erase the profile everywhere, then the account; only once the person has ticked the confirmation."""
    if confirmation != "oui":
        error = "Cochez la case de confirmation pour effacer vos données."
        return render(
            request, "seeker_erase.html", status_code=422, has_profile=principal.candidate_id is not None, error=error
        )
    privacy.erase_own_data(rt, principal=principal)
    request.session.clear()
    flash(request, "Vos données et votre compte ont été effacés.")
    return redirect("/")
