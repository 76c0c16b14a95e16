"""Administration: employers and their settings, accounts, partner agencies and their API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.auth import PrincipalDep
from api.deps import RuntimeDep
from matcher.access import accounts
from matcher.access.accounts import Account, AccountIn, ApiKeyOut, IssuedKey, PartnerIn, PartnerOut, Principal, Role
from matcher.catalog import employers as employer_records
from matcher.catalog import validation
from matcher.core.errors import NotFound
from matcher.core.models import Employer, EmployerIn, EmployerSettings, EmployerSettingsIn, Strict
from matcher.governance import audit
from matcher.notify import deliveries
from matcher.notify.deliveries import Delivery
from matcher.store.tables import EmployerRow

router = APIRouter(tags=["administration"])


@router.get("/employers", tags=["employeurs"])
def list_employers(rt: RuntimeDep, principal: PrincipalDep) -> list[Employer]:
    with rt.store.read() as session:
        employers = employer_records.list_employers(session)
    if principal.role in (Role.RECRUITER, Role.PARTNER):
        employers = [e for e in employers if e.id in principal.employer_ids]
    return employers


@router.post("/employers", tags=["employeurs"], status_code=status.HTTP_201_CREATED)
def create_employer(data: EmployerIn, rt: RuntimeDep) -> Employer:
    if data.commune_insee:
        validation.check_commune(rt.geography, "commune_insee", data.commune_insee)
    with rt.store.transaction() as session:
        return employer_records.create_employer(session, data=data)


def _employer_row(session: Session, principal: Principal, employer_id: str) -> EmployerRow:
    row = session.get(EmployerRow, employer_id)
    if row is None or not principal.may_act_for(employer_id):
        raise NotFound("employeur", employer_id)
    return row


@router.get("/employers/{employer_id}/settings", tags=["employeurs"])
def get_employer_settings(employer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> EmployerSettings:
    with rt.store.read() as session:
        return employer_records.employer_settings(_employer_row(session, principal, employer_id))


@router.patch("/employers/{employer_id}/settings", tags=["employeurs"])
def update_employer_settings(
    employer_id: str, data: EmployerSettingsIn, rt: RuntimeDep, principal: PrincipalDep
) -> EmployerSettings:
    """Réglages de l'employeur : classement IA (désactivable), webhook RH, durées de conservation."""
    with rt.store.transaction() as session:
        _employer_row(session, principal, employer_id)
        return employer_records.update_employer_settings(
            session, employer_id=employer_id, data=data, allow_private=rt.settings.webhook_allow_private
        )


@router.get("/employers/{employer_id}/deliveries", tags=["employeurs"])
def list_deliveries(
    employer_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[Delivery]:
    """Les envois au webhook RH de l'employeur (présélections), avec chaque tentative et son résultat."""
    with rt.store.read() as session:
        _employer_row(session, principal, employer_id)
        return deliveries.list_deliveries(session, employer_ids=[employer_id], limit=limit, offset=offset)


@router.get("/accounts")
def list_accounts(rt: RuntimeDep) -> list[Account]:
    with rt.store.read() as session:
        return accounts.list_accounts(session)


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
def create_account(data: AccountIn, rt: RuntimeDep) -> Account:
    with rt.store.transaction() as session:
        return accounts.create_account(session, data=data)


@router.post("/accounts/{account_id}/disable")
def disable_account(account_id: str, rt: RuntimeDep) -> Account:
    """Désactive un compte : ses jetons cessent de valoir immédiatement."""
    with rt.store.transaction() as session:
        return accounts.set_disabled(session, account_id=account_id, disabled=True)


@router.post("/accounts/{account_id}/enable")
def enable_account(account_id: str, rt: RuntimeDep) -> Account:
    with rt.store.transaction() as session:
        return accounts.set_disabled(session, account_id=account_id, disabled=False)


@router.get("/partners", tags=["partenaires"])
def list_partners(rt: RuntimeDep) -> list[PartnerOut]:
    with rt.store.read() as session:
        return accounts.list_partners(session)


@router.post("/partners", tags=["partenaires"], status_code=status.HTTP_201_CREATED)
def create_partner(data: PartnerIn, rt: RuntimeDep) -> PartnerOut:
    with rt.store.transaction() as session:
        return accounts.create_partner(session, data=data)


class KeyRequest(Strict):
    label: str = Field(default="", max_length=200)


@router.get("/partners/{partner_id}/keys", tags=["partenaires"])
def list_keys(partner_id: str, rt: RuntimeDep) -> list[ApiKeyOut]:
    with rt.store.read() as session:
        return accounts.list_keys(session, partner_id=partner_id)


@router.post("/partners/{partner_id}/keys", tags=["partenaires"], status_code=status.HTTP_201_CREATED)
def issue_key(partner_id: str, rt: RuntimeDep, data: KeyRequest | None = None) -> IssuedKey:
    """Une nouvelle clé : affichée une seule fois dans cette réponse, conservée seulement sous forme de hachage."""
    with rt.store.transaction() as session:
        return accounts.issue_key(session, partner_id=partner_id, label=(data or KeyRequest()).label)


@router.post("/partners/{partner_id}/keys/{key_id}/revoke", tags=["partenaires"])
def revoke_key(partner_id: str, key_id: str, rt: RuntimeDep) -> ApiKeyOut:
    with rt.store.transaction() as session:
        return accounts.revoke_key(session, partner_id=partner_id, key_id=key_id)


@router.post("/partners/{partner_id}/keys/{key_id}/rotate", tags=["partenaires"], status_code=status.HTTP_201_CREATED)
def rotate_key(partner_id: str, key_id: str, rt: RuntimeDep) -> IssuedKey:
    """Révoque la clé et en émet une nouvelle, dans la même transaction."""
    with rt.store.transaction() as session:
        return accounts.rotate_key(session, partner_id=partner_id, key_id=key_id)


class AuditCheck(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None
    head: str = Field(description="Empreinte de la dernière ligne : à consigner ailleurs pour détecter une troncature")


@router.get("/audit/verify", tags=["exploitation"])
def verify_audit_log(rt: RuntimeDep) -> AuditCheck:
    """Vérifie la chaîne de hachage du journal d'audit : une ligne modifiée ou supprimée est détectée."""
    with rt.store.read() as session:
        report = audit.verify(session)
    return AuditCheck(ok=report.ok, checked=report.checked, first_broken_seq=report.first_broken_seq, head=report.head)
