"""Administration pages: employers and their settings, accounts, partner agencies and their API keys.

Each handler parses its form, calls the same use case as the JSON API, and renders the answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.auth import PrincipalDep
from api.deps import RuntimeDep
from api.pages.common import commune_of, flash, redirect, render, router
from matcher.access import accounts
from matcher.access.accounts import AccountIn, PartnerIn, Principal, Role
from matcher.catalog import employers as employer_cases
from matcher.core.errors import Conflict, InvalidInput
from matcher.core.models import EmployerIn, EmployerKind, EmployerSettingsIn
from matcher.runtime import Runtime

KIND_LABELS = {
    "commune": "Commune",
    "intercommunalite": "Intercommunalité",
    "departement": "Département",
    "region": "Région",
    "centre_de_gestion": "Centre de gestion",
    "etat": "État",
    "hospitalier": "Établissement hospitalier",
    "prive": "Employeur privé",
    "autre": "Autre",
}


def _errors(exc: ValidationError) -> str:
    fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e["loc"]})
    return "Vérifiez : " + ", ".join(fields) + "."


def _table_search(request: Request) -> tuple[str, int]:
    """The search words and page number of an admin table, from the address (a form posted back has neither)."""
    q = request.query_params.get("q", "")[:100].strip()
    page = int(p) if (p := request.query_params.get("page", "1")).isdigit() and 0 < int(p) <= 1000 else 1
    return q, page


def _employers_page(
    request: Request,
    rt: Runtime,
    principal: Principal,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    q, page = _table_search(request)
    found = employer_cases.employer_directory(rt, principal=principal, query=q, page=page)
    return render(
        request,
        "admin_employers.html",
        status_code=422 if error else 200,
        found=found,
        q=q,
        kinds=KIND_LABELS,
        communes={e.commune_insee: rt.geography.get(e.commune_insee) for e in found.items if e.commune_insee},
        error=error,
        form=form or {"kind": "commune"},
    )


@router.get("/admin/employeurs")
def employers(request: Request, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    return _employers_page(request, rt, principal)


@router.post("/admin/employeurs")
def create_employer(
    request: Request,
    rt: RuntimeDep,
    principal: PrincipalDep,
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=40)] = "commune",
    commune: Annotated[str, Form(max_length=200)] = "",
    siren: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    form = {"name": name, "kind": kind, "commune": commune, "siren": siren}
    place = commune_of(rt, commune)
    if commune.strip() and place is None:
        return _employers_page(request, rt, principal, error=f"Commune inconnue : « {commune} ».", form=form)
    try:
        data = EmployerIn(
            name=name,
            kind=EmployerKind(kind) if kind in KIND_LABELS else kind,  # type: ignore[arg-type]
            commune_insee=place.insee if place else None,
            siren=siren.strip() or None,
        )
    except ValidationError as exc:
        return _employers_page(request, rt, principal, error=_errors(exc), form=form)
    employer = employer_cases.register_employer(rt, principal=principal, data=data)
    flash(request, f"Employeur « {employer.name} » créé.")
    return redirect(f"/admin/employeurs/{employer.id}")


def _settings_form(rt: Runtime, principal: Principal, employer_id: str) -> dict[str, Any]:
    """The employer's name and its settings as the API shows them (never the webhook secret), for the form."""
    found = employer_cases.settings_of(rt, principal=principal, employer_id=employer_id)
    settings = found.settings.model_dump()
    return {
        "id": found.employer.id,
        "name": found.employer.name,
        **settings,
        "webhook_url": settings["webhook_url"] or "",
    }


@router.get("/admin/employeurs/{employer_id}")
def employer_settings(request: Request, employer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    return render(request, "admin_employer.html", employer=_settings_form(rt, principal, employer_id), error=None)


@router.post("/admin/employeurs/{employer_id}")
def update_employer_settings(
    request: Request,
    employer_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    ai_ranking: Annotated[str, Form(max_length=10)] = "",
    webhook_url: Annotated[str, Form(max_length=2000)] = "",
    webhook_secret: Annotated[str, Form(max_length=200)] = "",
    retention_not_hired_days: Annotated[str, Form(max_length=5)] = "",
    retention_pool_days: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """The same settings as ``PATCH /employers/{id}/settings``; an empty secret keeps the current one.

    A retention field left empty is left out, so it keeps its value (as in the API).
    """
    values: dict[str, Any] = {"ai_ranking": ai_ranking == "oui", "webhook_url": webhook_url.strip() or None}
    if retention_not_hired_days:
        values["retention_not_hired_days"] = retention_not_hired_days
    if retention_pool_days:
        values["retention_pool_days"] = retention_pool_days
    if webhook_secret:
        values["webhook_secret"] = webhook_secret
    try:
        data = EmployerSettingsIn.model_validate(values)
        employer_cases.change_settings(rt, principal=principal, employer_id=employer_id, data=data)
    except (ValidationError, InvalidInput) as exc:
        form = {**_settings_form(rt, principal, employer_id)}
        form.update({k: v for k, v in values.items() if k != "webhook_secret"}, webhook_url=webhook_url)
        message = _errors(exc) if isinstance(exc, ValidationError) else exc.detail
        return render(request, "admin_employer.html", status_code=422, employer=form, error=message)
    flash(request, "Réglages enregistrés.")
    return redirect(f"/admin/employeurs/{employer_id}")


def _accounts_page(
    request: Request,
    rt: Runtime,
    principal: Principal,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    q, page = _table_search(request)
    directory = accounts.account_directory(rt, principal=principal, query=q, page=page)
    return render(
        request,
        "admin_accounts.html",
        status_code=422 if error else 200,
        found=directory.accounts,
        q=q,
        employers=directory.employer_names,
        roles=[Role.ADMIN, Role.RECRUITER, Role.SEEKER],
        error=error,
        form=form or {"role": "recruiter"},
    )


@router.get("/admin/comptes")
def accounts_list(request: Request, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    return _accounts_page(request, rt, principal)


@router.post("/admin/comptes")
def create_account(
    request: Request,
    rt: RuntimeDep,
    principal: PrincipalDep,
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "recruiter",
    password: Annotated[str, Form(max_length=200)] = "",
    employer_ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    form = {"email": email, "name": name, "role": role, "employer_ids": employer_ids}
    try:
        data = AccountIn(email=email, name=name, role=role, password=password, employer_ids=employer_ids)  # type: ignore[arg-type]
    except ValidationError as exc:
        message = _errors(exc).replace("password", "mot de passe (10 caractères au moins)")
        return _accounts_page(request, rt, principal, error=message, form=form)
    try:
        account = accounts.open_account(rt, principal=principal, data=data)
    except (InvalidInput, Conflict) as exc:
        return _accounts_page(request, rt, principal, error=exc.detail, form=form)
    flash(request, f"Compte {account.email} créé.")
    return redirect("/admin/comptes")


@router.post("/admin/comptes/{account_id}/desactivation")
def disable_account(request: Request, account_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    account = accounts.switch_account(rt, principal=principal, account_id=account_id, disabled=True)
    flash(request, f"Compte {account.email} désactivé.")
    return redirect("/admin/comptes")


@router.post("/admin/comptes/{account_id}/activation")
def enable_account(request: Request, account_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    account = accounts.switch_account(rt, principal=principal, account_id=account_id, disabled=False)
    flash(request, f"Compte {account.email} réactivé.")
    return redirect("/admin/comptes")


def _partners_page(request: Request, rt: Runtime, principal: Principal, *, error: str | None = None) -> Response:
    q, page = _table_search(request)
    directory = accounts.partner_directory(rt, principal=principal, query=q, page=page)
    return render(
        request,
        "admin_partners.html",
        status_code=422 if error else 200,
        found=directory.partners,
        q=q,
        employers=directory.employer_names,
        error=error,
    )


@router.get("/admin/partenaires")
def partners(request: Request, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    return _partners_page(request, rt, principal)


@router.post("/admin/partenaires")
def create_partner(
    request: Request,
    rt: RuntimeDep,
    principal: PrincipalDep,
    name: Annotated[str, Form(max_length=200)] = "",
    employer_ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    try:
        partner = accounts.register_partner(
            rt, principal=principal, data=PartnerIn(name=name, employer_ids=employer_ids)
        )
    except ValidationError as exc:
        return _partners_page(request, rt, principal, error=_errors(exc))
    except InvalidInput as exc:
        return _partners_page(request, rt, principal, error=exc.detail)
    flash(request, f"Partenaire « {partner.name} » créé.")
    return redirect(f"/admin/partenaires/{partner.id}")


def _partner_page(
    request: Request, rt: Runtime, principal: Principal, partner_id: str, *, issued: accounts.IssuedKey | None = None
) -> Response:
    found = accounts.partner_keys(rt, principal=principal, partner_id=partner_id)
    return render(
        request,
        "admin_partner.html",
        status_code=201 if issued else 200,
        partner=found.partner,
        keys=found.keys,
        employers=found.employer_names,
        issued=issued,
    )


@router.get("/admin/partenaires/{partner_id}")
def partner(request: Request, partner_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    return _partner_page(request, rt, principal, partner_id)


@router.post("/admin/partenaires/{partner_id}/cles")
def issue_key(
    request: Request,
    partner_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    label: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The new key is shown on the page this answers, once: it is never stored in clear."""
    issued = accounts.issue_partner_key(rt, principal=principal, partner_id=partner_id, label=label)
    return _partner_page(request, rt, principal, partner_id, issued=issued)


@router.post("/admin/partenaires/{partner_id}/cles/{key_id}/revocation")
def revoke_key(request: Request, partner_id: str, key_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    accounts.revoke_partner_key(rt, principal=principal, partner_id=partner_id, key_id=key_id)
    flash(request, "Clé révoquée : elle ne permet plus aucun appel.")
    return redirect(f"/admin/partenaires/{partner_id}")


@router.post("/admin/partenaires/{partner_id}/cles/{key_id}/rotation")
def rotate_key(request: Request, partner_id: str, key_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Response:
    issued = accounts.rotate_partner_key(rt, principal=principal, partner_id=partner_id, key_id=key_id)
    return _partner_page(request, rt, principal, partner_id, issued=issued)
