"""Administration: employers and their settings, accounts, partner agencies and their API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from api.auth import PrincipalDep
from api.deps import RuntimeDep
from matcher.access import accounts
from matcher.access.accounts import Account, AccountIn, ApiKeyOut, IssuedKey, PartnerIn, PartnerOut
from matcher.catalog import employers
from matcher.core.models import Employer, EmployerIn, EmployerSettings, EmployerSettingsIn, Strict
from matcher.governance import audit
from matcher.notify import deliveries
from matcher.notify.deliveries import Delivery

router = APIRouter(tags=["administration"])


@router.get("/employers", tags=["employeurs"])
def list_employers(rt: RuntimeDep, principal: PrincipalDep) -> list[Employer]:
    return employers.employers_for(rt, principal=principal)


@router.post("/employers", tags=["employeurs"], status_code=status.HTTP_201_CREATED)
def create_employer(data: EmployerIn, rt: RuntimeDep, principal: PrincipalDep) -> Employer:
    return employers.register_employer(rt, principal=principal, data=data)


@router.get("/employers/{employer_id}/settings", tags=["employeurs"])
def get_employer_settings(employer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> EmployerSettings:
    return employers.settings_of(rt, principal=principal, employer_id=employer_id).settings


@router.patch("/employers/{employer_id}/settings", tags=["employeurs"])
def update_employer_settings(
    employer_id: str, data: EmployerSettingsIn, rt: RuntimeDep, principal: PrincipalDep
) -> EmployerSettings:
    """Réglages de l'employeur : classement IA (désactivable), webhook RH, durées de conservation."""
    return employers.change_settings(rt, principal=principal, employer_id=employer_id, data=data)


@router.get("/employers/{employer_id}/deliveries", tags=["employeurs"])
def list_deliveries(
    employer_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[Delivery]:
    """Les envois au webhook RH de l'employeur (présélections), avec chaque tentative et son résultat."""
    return deliveries.deliveries_for(rt, principal=principal, employer_id=employer_id, limit=limit, offset=offset)


@router.get("/accounts")
def list_accounts(rt: RuntimeDep, principal: PrincipalDep) -> list[Account]:
    return accounts.accounts_for(rt, principal=principal)


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
def create_account(data: AccountIn, rt: RuntimeDep, principal: PrincipalDep) -> Account:
    return accounts.open_account(rt, principal=principal, data=data)


@router.post("/accounts/{account_id}/disable")
def disable_account(account_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Account:
    """Désactive un compte : ses jetons et ses sessions cessent de valoir immédiatement."""
    return accounts.switch_account(rt, principal=principal, account_id=account_id, disabled=True)


@router.post("/accounts/{account_id}/enable")
def enable_account(account_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Account:
    return accounts.switch_account(rt, principal=principal, account_id=account_id, disabled=False)


@router.get("/partners", tags=["partenaires"])
def list_partners(rt: RuntimeDep, principal: PrincipalDep) -> list[PartnerOut]:
    return accounts.partners_for(rt, principal=principal)


@router.post("/partners", tags=["partenaires"], status_code=status.HTTP_201_CREATED)
def create_partner(data: PartnerIn, rt: RuntimeDep, principal: PrincipalDep) -> PartnerOut:
    return accounts.register_partner(rt, principal=principal, data=data)


class KeyRequest(Strict):
    label: str = Field(default="", max_length=200)


@router.get("/partners/{partner_id}/keys", tags=["partenaires"])
def list_keys(partner_id: str, rt: RuntimeDep, principal: PrincipalDep) -> list[ApiKeyOut]:
    return accounts.partner_keys(rt, principal=principal, partner_id=partner_id).keys


@router.post("/partners/{partner_id}/keys", tags=["partenaires"], status_code=status.HTTP_201_CREATED)
def issue_key(partner_id: str, rt: RuntimeDep, principal: PrincipalDep, data: KeyRequest | None = None) -> IssuedKey:
    """Une nouvelle clé : affichée une seule fois dans cette réponse, conservée seulement sous forme de hachage."""
    label = (data or KeyRequest()).label
    return accounts.issue_partner_key(rt, principal=principal, partner_id=partner_id, label=label)


@router.post("/partners/{partner_id}/keys/{key_id}/revoke", tags=["partenaires"])
def revoke_key(partner_id: str, key_id: str, rt: RuntimeDep, principal: PrincipalDep) -> ApiKeyOut:
    return accounts.revoke_partner_key(rt, principal=principal, partner_id=partner_id, key_id=key_id)


@router.post("/partners/{partner_id}/keys/{key_id}/rotate", tags=["partenaires"], status_code=status.HTTP_201_CREATED)
def rotate_key(partner_id: str, key_id: str, rt: RuntimeDep, principal: PrincipalDep) -> IssuedKey:
    """Révoque la clé et en émet une nouvelle, dans la même transaction."""
    return accounts.rotate_partner_key(rt, principal=principal, partner_id=partner_id, key_id=key_id)


class AuditCheck(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None
    head: str = Field(description="Empreinte de la dernière ligne : à consigner ailleurs pour détecter une troncature")


@router.get("/audit/verify", tags=["exploitation"])
def verify_audit_log(rt: RuntimeDep, principal: PrincipalDep) -> AuditCheck:
    """Vérifie la chaîne de hachage du journal d'audit : une ligne modifiée ou supprimée est détectée."""
    report = audit.verify_log(rt, principal=principal)
    return AuditCheck(ok=report.ok, checked=report.checked, first_broken_seq=report.first_broken_seq, head=report.head)
