"""Employers (the tenants) and their settings: AI ranking switch, HR webhook, retention."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.access.accounts import Principal, Role
from matcher.catalog import validation
from matcher.core.errors import Forbidden, InvalidInput, NotFound
from matcher.core.models import (
    Employer,
    EmployerIn,
    EmployerSettings,
    EmployerSettingsIn,
)
from matcher.core.outbox import new_id
from matcher.core.paging import Page, page_of
from matcher.core.records import employer_from_row
from matcher.notify import webhooks
from matcher.store.tables import EmployerRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime


def create_employer(session: Session, *, data: EmployerIn, employer_id: str | None = None) -> Employer:
    row = EmployerRow(id=employer_id or new_id("emp"), **data.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return employer_from_row(row)


def get_employer(session: Session, *, employer_id: str) -> Employer:
    row = session.get(EmployerRow, employer_id)
    if row is None:
        raise NotFound("employeur", employer_id)
    return employer_from_row(row)


def employer_settings(row: EmployerRow) -> EmployerSettings:
    return EmployerSettings(
        employer_id=row.id,
        ai_ranking=row.ai_ranking,
        webhook_url=row.webhook_url,
        webhook_secret_set=bool(row.webhook_secret),
        retention_not_hired_days=row.retention_not_hired_days,
        retention_pool_days=row.retention_pool_days,
    )


def update_employer_settings(
    session: Session, *, employer_id: str, data: EmployerSettingsIn, allow_private: bool
) -> EmployerSettings:
    """``allow_private``: the setting ``webhook_allow_private`` (else a webhook URL must be https to a public host)."""
    row = session.get(EmployerRow, employer_id)
    if row is None:
        raise NotFound("employeur", employer_id)
    if data.webhook_url is not None:
        try:
            webhooks.check_destination(str(data.webhook_url), allow_private=allow_private)
        except webhooks.DestinationRefused as exc:
            raise InvalidInput("webhook_url", str(exc)) from None
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(row, field, str(value) if field == "webhook_url" and value is not None else value)
    return employer_settings(row)


def list_employers(session: Session) -> list[Employer]:
    return [employer_from_row(r) for r in session.scalars(select(EmployerRow).order_by(EmployerRow.name))]


# --- use cases: each owns its unit of work and checks who may act (the edges call these) -------


def employers_for(rt: Runtime, *, principal: Principal) -> list[Employer]:
    """Every employer for admins and job seekers; recruiters and partners see those they act for."""
    with rt.store.read() as session:
        employers = list_employers(session)
    if principal.role in (Role.RECRUITER, Role.PARTNER):
        employers = [e for e in employers if e.id in principal.employer_ids]
    return employers


def employer_directory(rt: Runtime, *, principal: Principal, query: str = "", page: int = 1) -> Page[Employer]:
    """The employers the principal sees (:func:`employers_for`) whose name holds the words of ``query`` (case and
    accents folded), a page at a time."""
    return page_of(employers_for(rt, principal=principal), query=query, names=lambda e: (e.name,), page=page)


def register_employer(rt: Runtime, *, principal: Principal, data: EmployerIn) -> Employer:
    """An admin adds an employer (API and page alike)."""
    if principal.role is not Role.ADMIN:
        raise Forbidden("réservé à l'administration")
    if data.commune_insee:
        validation.check_commune(rt.geography, "commune_insee", data.commune_insee)
    with rt.store.transaction() as session:
        return create_employer(session, data=data)


def _own_row(session: Session, principal: Principal, employer_id: str) -> EmployerRow:
    """The employer if the principal acts for it; another tenant's is as unknown as a missing one."""
    row = session.get(EmployerRow, employer_id)
    if row is None or not principal.may_act_for(employer_id):
        raise NotFound("employeur", employer_id)
    return row


@dataclass(frozen=True)
class EmployerWithSettings:
    employer: Employer
    settings: EmployerSettings


def settings_of(rt: Runtime, *, principal: Principal, employer_id: str) -> EmployerWithSettings:
    """An employer and its settings, for an admin or the employer's own recruiters."""
    with rt.store.read() as session:
        row = _own_row(session, principal, employer_id)
        return EmployerWithSettings(employer_from_row(row), employer_settings(row))


def change_settings(
    rt: Runtime, *, principal: Principal, employer_id: str, data: EmployerSettingsIn
) -> EmployerSettings:
    """Update an employer's settings (fields left out keep their value); a webhook URL is checked first."""
    with rt.store.transaction() as session:
        _own_row(session, principal, employer_id)
        return update_employer_settings(
            session, employer_id=employer_id, data=data, allow_private=rt.settings.webhook_allow_private
        )
