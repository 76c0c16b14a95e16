"""The seeker's CV page: upload a CV, review the draft it gives (each field with its CV line), correct, save.

Nothing is saved when the CV is read; the profile is saved only from the reviewed form, through the
same use cases as the profile page. Same services as ``/me/cv`` in the API.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import BackgroundTasks, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from api.pages.common import commune_of, flash, redirect, render, router
from matcher.catalog import candidates
from matcher.core.errors import Conflict, InvalidInput
from matcher.core.messages import french
from matcher.core.models import CandidateIn, ContractType, EducationLevel
from matcher.cv import service
from matcher.cv.extract import MAX_BYTES

EDUCATION_LABELS = {
    "": "Non précisé",
    EducationLevel.NONE.value: "Sans diplôme",
    EducationLevel.CAP_BEP.value: "CAP, BEP (niveau 3)",
    EducationLevel.BAC.value: "Baccalauréat (niveau 4)",
    EducationLevel.BAC_2.value: "Bac + 2 : BTS, DUT (niveau 5)",
    EducationLevel.LICENCE.value: "Bac + 3 : licence, BUT (niveau 6)",
    EducationLevel.MASTER.value: "Bac + 5 : master, ingénieur (niveau 7)",
    EducationLevel.DOCTORAT.value: "Doctorat (niveau 8)",
}
FIELD_LABELS = {
    "display_name": "Nom affiché",
    "title": "Poste recherché",
    "desired_occupations": "Métiers",
    "experiences": "Expériences",
    "languages": "Langues",
    "driving_licences": "Permis",
    "mobility": "Commune",
    "communes": "Commune",
    "radius_km": "Rayon",
    "available_from": "Disponibilité",
    "contract_types": "Types de contrat",
}


def _page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
    return render(
        request,
        "seeker_cv.html",
        status_code=status_code,
        education_labels=EDUCATION_LABELS,
        contract_types=list(ContractType),
        **context,
    )


@router.get("/candidat/cv")
def upload_form(request: Request, principal: PrincipalDep) -> Response:
    return _page(request, draft=None, form=None, errors={}, has_profile=principal.candidate_id is not None)


@router.post("/candidat/cv")
async def upload(
    request: Request,
    rt: RuntimeDep,
    principal: PrincipalDep,
    cv: Annotated[UploadFile, File()],
    keep: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    content = await cv.read(MAX_BYTES + 1)
    try:
        read = await run_in_threadpool(
            service.read_cv,
            rt,
            principal=principal,
            content=content,
            filename=cv.filename or "",
            keep=keep == "oui",
        )
    except (InvalidInput, Conflict) as exc:
        return _page(
            request,
            status_code=422,
            draft=None,
            form=None,
            errors={"cv": exc.detail},
            has_profile=principal.candidate_id is not None,
        )
    draft = read.draft
    communes = [draft.commune.insee] if draft.commune else []
    form = {
        "display_name": draft.name.value if draft.name else "",
        "title": draft.title.value if draft.title else "",
        "occupations": [(o.code, o.label, i == 0) for i, o in enumerate(draft.occupations)],
        "skills": [(s.code, s.label, True) for s in draft.skills],
        "experiences": [(e.title, e.rome_code or "", _years(e.years)) for e in draft.experiences],
        "education_level": draft.education_level.value.value if draft.education_level else "",
        "languages": ", ".join(x.value for x in draft.languages),
        "driving_licences": ", ".join(x.value for x in draft.driving_licences),
        "commune": f"{draft.commune.name} ({draft.commune.postal_code})" if draft.commune else "",
        "communes": communes,
        "radius_km": 30,
        "available_from": draft.available_from.value.isoformat() if draft.available_from else "",
        "contract_types": ["contractuel"],
        "visibility": "private",
    }
    if read.kept:
        flash(request, "Votre CV est conservé avec votre profil (vous pouvez le supprimer à tout moment).")
    return _page(request, draft=draft, form=form, errors={}, has_profile=principal.candidate_id is not None)


def _years(value: float) -> object:
    return int(value) if float(value).is_integer() else value


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


@router.post("/candidat/cv/enregistrer")
def save(
    request: Request,
    rt: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    tasks: BackgroundTasks,
    display_name: Annotated[str, Form(max_length=200)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    occupations: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    skills: Annotated[list[str], Form()] = [],  # noqa: B006
    experience_title: Annotated[list[str], Form()] = [],  # noqa: B006
    experience_rome: Annotated[list[str], Form()] = [],  # noqa: B006
    experience_years: Annotated[list[str], Form()] = [],  # noqa: B006
    education_level: Annotated[str, Form(max_length=20)] = "",
    languages: Annotated[str, Form(max_length=500)] = "",
    driving_licences: Annotated[str, Form(max_length=100)] = "",
    commune: Annotated[str, Form(max_length=200)] = "",
    radius_km: Annotated[str, Form(max_length=10)] = "30",
    available_from: Annotated[str, Form(max_length=10)] = "",
    contract_types: Annotated[list[str], Form()] = [],  # noqa: B006
    visibility: Annotated[str, Form(max_length=20)] = "private",
) -> Response:
    errors: dict[str, str] = {}
    place = commune_of(rt, commune) if commune.strip() else None
    if commune.strip() and place is None:
        errors["commune"] = f"Commune inconnue : « {commune} »."
    elif place is None:
        errors["commune"] = "Indiquez une commune (ou un code postal) autour de laquelle vous cherchez."
    experiences = [
        {"title": t.strip(), "rome_code": r or None, "years": (y.replace(",", ".").strip() or "0")}
        for t, r, y in zip(experience_title, experience_rome, experience_years, strict=False)
        if t.strip()
    ]
    own = candidates.own_profile_with_consents(rt, principal=principal)
    values: dict[str, Any] = (
        own.candidate.model_dump(mode="json", include=set(CandidateIn.model_fields)) if own is not None else {}
    )
    values.update(
        display_name=display_name.strip(),
        title=title.strip(),
        desired_occupations=list(dict.fromkeys(occupations)),
        skills=list(dict.fromkeys(skills)),
        experiences=experiences,
        education_level=education_level or None,
        languages=_split(languages),
        driving_licences=[code.upper() for code in _split(driving_licences)],
        mobility={"communes": [place.insee] if place else [], "radius_km": radius_km.replace(",", ".").strip() or "0"},
        available_from=available_from or None,
        contract_types=contract_types,
        visibility=visibility,
        talent_pool=None,
    )
    data: CandidateIn | None = None
    if not errors:
        try:
            data = CandidateIn.model_validate(values)
        except ValidationError as exc:
            for e in exc.errors():
                field = next((str(p) for p in e["loc"] if str(p) in FIELD_LABELS), "display_name")
                errors.setdefault("commune" if field in ("mobility", "communes") else field, french(e))
    if data is not None:
        try:
            candidates.save_own_profile(rt, principal=principal, data=data)
        except InvalidInput as exc:
            errors[exc.field.split(".")[0]] = exc.detail
        except Conflict:
            errors["display_name"] = "Votre profil existe déjà : rechargez la page pour le modifier."
        else:
            tasks.add_task(runner.kick)
            flash(request, "Profil enregistré à partir de votre CV.")
            return redirect("/candidat/offres")
    form = {
        "display_name": display_name,
        "title": title,
        "occupations": [(c, o.label if (o := rt.taxonomy.occupation(c)) else c, True) for c in occupations],
        "skills": [(c, rt.taxonomy.skill_label(c), True) for c in skills],
        "experiences": [(e["title"], e["rome_code"] or "", e["years"]) for e in experiences],
        "education_level": education_level,
        "languages": languages,
        "driving_licences": driving_licences,
        "commune": commune,
        "radius_km": radius_km,
        "available_from": available_from,
        "contract_types": contract_types,
        "visibility": visibility,
    }
    return _page(
        request,
        status_code=422,
        draft=None,
        form=form,
        errors=errors,
        has_profile=principal.candidate_id is not None,
        today=date.today(),
    )
