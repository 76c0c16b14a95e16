"""Employers (the tenants) and their settings: AI ranking switch, HR webhook, retention."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.core.errors import InvalidInput, NotFound
from matcher.core.models import (
    Employer,
    EmployerIn,
    EmployerSettings,
    EmployerSettingsIn,
)
from matcher.core.outbox import new_id
from matcher.core.records import employer_from_row
from matcher.notify import webhooks
from matcher.store.tables import EmployerRow


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
