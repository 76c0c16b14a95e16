"""Administration pages: employers and their settings, accounts, partner agencies and their API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.deps import RuntimeDep
from api.pages.common import commune_of, flash, redirect, render, router
from matcher.access import accounts
from matcher.access.accounts import AccountIn, PartnerIn, Role
from matcher.catalog import employers as employer_records
from matcher.core.errors import Conflict, InvalidInput, NotFound
from matcher.core.models import EmployerIn, EmployerKind, EmployerSettingsIn
from matcher.runtime import Runtime
from matcher.store.tables import EmployerRow

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


def _employers_page(
    request: Request, rt: Runtime, *, error: str | None = None, form: dict[str, Any] | None = None
) -> Response:
    with rt.store.read() as session:
        employers = employer_records.list_employers(session)
    return render(
        request,
        "admin_employers.html",
        status_code=422 if error else 200,
        employers=employers,
        kinds=KIND_LABELS,
        communes={e.commune_insee: rt.geography.get(e.commune_insee) for e in employers if e.commune_insee},
        error=error,
        form=form or {"kind": "commune"},
    )


@router.get("/admin/employeurs")
def employers(request: Request, rt: RuntimeDep) -> Response:
    return _employers_page(request, rt)


@router.post("/admin/employeurs")
def create_employer(
    request: Request,
    rt: RuntimeDep,
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=40)] = "commune",
    commune: Annotated[str, Form(max_length=200)] = "",
    siren: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    form = {"name": name, "kind": kind, "commune": commune, "siren": siren}
    place = commune_of(rt, commune)
    if commune.strip() and place is None:
        return _employers_page(request, rt, error=f"Commune inconnue : « {commune} ».", form=form)
    try:
        data = EmployerIn(
            name=name,
            kind=EmployerKind(kind) if kind in KIND_LABELS else kind,  # type: ignore[arg-type]
            commune_insee=place.insee if place else None,
            siren=siren.strip() or None,
        )
    except ValidationError as exc:
        return _employers_page(request, rt, error=_errors(exc), form=form)
    with rt.store.transaction() as session:
        employer = employer_records.create_employer(session, data=data)
    flash(request, f"Employeur « {employer.name} » créé.")
    return redirect(f"/admin/employeurs/{employer.id}")


def _employer_row(rt: Runtime, employer_id: str) -> dict[str, Any]:
    """The employer's name and its settings as the API shows them (never the webhook secret), for the form."""
    with rt.store.read() as session:
        row = session.get(EmployerRow, employer_id)
        if row is None:
            raise NotFound("employeur", employer_id)
        settings = employer_records.employer_settings(row).model_dump()
    return {"id": row.id, "name": row.name, **settings, "webhook_url": settings["webhook_url"] or ""}


@router.get("/admin/employeurs/{employer_id}")
def employer_settings(request: Request, employer_id: str, rt: RuntimeDep) -> Response:
    return render(request, "admin_employer.html", employer=_employer_row(rt, employer_id), error=None)


@router.post("/admin/employeurs/{employer_id}")
def update_employer_settings(
    request: Request,
    employer_id: str,
    rt: RuntimeDep,
    ai_ranking: Annotated[str, Form(max_length=10)] = "",
    webhook_url: Annotated[str, Form(max_length=2000)] = "",
    webhook_secret: Annotated[str, Form(max_length=200)] = "",
    retention_not_hired_days: Annotated[str, Form(max_length=5)] = "",
    retention_pool_days: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """The same settings as ``PATCH /employers/{id}/settings``; an empty secret keeps the current one."""
    employer = _employer_row(rt, employer_id)
    values: dict[str, Any] = {
        "ai_ranking": ai_ranking == "oui",
        "webhook_url": webhook_url.strip() or None,
        "retention_not_hired_days": retention_not_hired_days or employer["retention_not_hired_days"],
        "retention_pool_days": retention_pool_days or employer["retention_pool_days"],
    }
    if webhook_secret:
        values["webhook_secret"] = webhook_secret
    try:
        data = EmployerSettingsIn.model_validate(values)
    except ValidationError as exc:
        form = {**employer, **{k: v for k, v in values.items() if k != "webhook_secret"}}
        form["webhook_url"] = webhook_url
        return render(request, "admin_employer.html", status_code=422, employer=form, error=_errors(exc))
    with rt.store.transaction() as session:
        employer_records.update_employer_settings(
            session, employer_id=employer_id, data=data, allow_private=rt.settings.webhook_allow_private
        )
    flash(request, "Réglages enregistrés.")
    return redirect(f"/admin/employeurs/{employer_id}")


def _accounts_page(
    request: Request, rt: Runtime, *, error: str | None = None, form: dict[str, Any] | None = None
) -> Response:
    with rt.store.read() as session:
        people = accounts.list_accounts(session)
        employers = {e.id: e.name for e in employer_records.list_employers(session)}
    return render(
        request,
        "admin_accounts.html",
        status_code=422 if error else 200,
        accounts=people,
        employers=employers,
        roles=[Role.ADMIN, Role.RECRUITER, Role.SEEKER],
        error=error,
        form=form or {"role": "recruiter"},
    )


@router.get("/admin/comptes")
def accounts_list(request: Request, rt: RuntimeDep) -> Response:
    return _accounts_page(request, rt)


@router.post("/admin/comptes")
def create_account(
    request: Request,
    rt: RuntimeDep,
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
        return _accounts_page(request, rt, error=message, form=form)
    try:
        with rt.store.transaction() as session:
            account = accounts.create_account(session, data=data)
    except (InvalidInput, Conflict) as exc:
        return _accounts_page(request, rt, error=exc.detail, form=form)
    flash(request, f"Compte {account.email} créé.")
    return redirect("/admin/comptes")


def _set_disabled(request: Request, rt: Runtime, account_id: str, *, disabled: bool) -> Response:
    with rt.store.transaction() as session:
        account = accounts.set_disabled(session, account_id=account_id, disabled=disabled)
    flash(request, f"Compte {account.email} {'désactivé' if disabled else 'réactivé'}.")
    return redirect("/admin/comptes")


@router.post("/admin/comptes/{account_id}/desactivation")
def disable_account(request: Request, account_id: str, rt: RuntimeDep) -> Response:
    return _set_disabled(request, rt, account_id, disabled=True)


@router.post("/admin/comptes/{account_id}/activation")
def enable_account(request: Request, account_id: str, rt: RuntimeDep) -> Response:
    return _set_disabled(request, rt, account_id, disabled=False)


def _partners_page(request: Request, rt: Runtime, *, error: str | None = None) -> Response:
    with rt.store.read() as session:
        partners = accounts.list_partners(session)
        employers = {e.id: e.name for e in employer_records.list_employers(session)}
    return render(
        request,
        "admin_partners.html",
        status_code=422 if error else 200,
        partners=partners,
        employers=employers,
        error=error,
    )


@router.get("/admin/partenaires")
def partners(request: Request, rt: RuntimeDep) -> Response:
    return _partners_page(request, rt)


@router.post("/admin/partenaires")
def create_partner(
    request: Request,
    rt: RuntimeDep,
    name: Annotated[str, Form(max_length=200)] = "",
    employer_ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    try:
        data = PartnerIn(name=name, employer_ids=employer_ids)
        with rt.store.transaction() as session:
            partner = accounts.create_partner(session, data=data)
    except ValidationError as exc:
        return _partners_page(request, rt, error=_errors(exc))
    except InvalidInput as exc:
        return _partners_page(request, rt, error=exc.detail)
    flash(request, f"Partenaire « {partner.name} » créé.")
    return redirect(f"/admin/partenaires/{partner.id}")


def _partner_page(
    request: Request, rt: Runtime, partner_id: str, *, issued: accounts.IssuedKey | None = None
) -> Response:
    with rt.store.read() as session:
        partner = next((p for p in accounts.list_partners(session) if p.id == partner_id), None)
        if partner is None:
            raise NotFound("partenaire", partner_id)
        keys = accounts.list_keys(session, partner_id=partner_id)
        employers = {e.id: e.name for e in employer_records.list_employers(session)}
    return render(
        request,
        "admin_partner.html",
        status_code=201 if issued else 200,
        partner=partner,
        keys=keys,
        employers=employers,
        issued=issued,
    )


@router.get("/admin/partenaires/{partner_id}")
def partner(request: Request, partner_id: str, rt: RuntimeDep) -> Response:
    return _partner_page(request, rt, partner_id)


@router.post("/admin/partenaires/{partner_id}/cles")
def issue_key(
    request: Request, partner_id: str, rt: RuntimeDep, label: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """The new key is shown on the page this answers, once: it is never stored in clear."""
    with rt.store.transaction() as session:
        issued = accounts.issue_key(session, partner_id=partner_id, label=label)
    return _partner_page(request, rt, partner_id, issued=issued)


@router.post("/admin/partenaires/{partner_id}/cles/{key_id}/revocation")
def revoke_key(request: Request, partner_id: str, key_id: str, rt: RuntimeDep) -> Response:
    with rt.store.transaction() as session:
        accounts.revoke_key(session, partner_id=partner_id, key_id=key_id)
    flash(request, "Clé révoquée : elle ne permet plus aucun appel.")
    return redirect(f"/admin/partenaires/{partner_id}")


@router.post("/admin/partenaires/{partner_id}/cles/{key_id}/rotation")
def rotate_key(request: Request, partner_id: str, key_id: str, rt: RuntimeDep) -> Response:
    with rt.store.transaction() as session:
        issued = accounts.rotate_key(session, partner_id=partner_id, key_id=key_id)
    return _partner_page(request, rt, partner_id, issued=issued)
