"""Write and read services for offers, candidates and employers.

Every write validates references first (nothing is written when one is wrong), bumps the
record's version and adds an outbox row in the same transaction, so the indexes catch up later
without any accepted write being lost.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from matcher.domain import (
    Candidate,
    CandidateIn,
    Employer,
    EmployerIn,
    EmployerSettings,
    EmployerSettingsIn,
    Offer,
    OfferIn,
    OfferStatus,
    Visibility,
)
from matcher.errors import InvalidInput, NotFound
from matcher.geo import Geography
from matcher.privacy import ensure_not_erased, withdraw_from_shortlists
from matcher.records import candidate_from_row, columns, employer_from_row, offer_from_row
from matcher.store.tables import CandidateRow, EmployerRow, OfferRow, OutboxRow
from matcher.taxonomy import Taxonomy

MAX_PAGE = 200


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def enqueue(session: Session, *, topic: str, entity_id: str, version: int, action: str) -> None:
    session.add(OutboxRow(topic=topic, entity_id=entity_id, version=version, action=action))


def _check_skills(taxonomy: Taxonomy, field: str, codes: list[str]) -> None:
    for position, code in enumerate(codes):
        if code not in taxonomy.skills:
            raise InvalidInput(f"{field}.{position}", f"compétence ROME inconnue : {code}")


def _check_rome(taxonomy: Taxonomy, field: str, code: str | None) -> None:
    if code is not None and taxonomy.occupation(code) is None:
        raise InvalidInput(field, f"code ROME inconnu : {code}")


def check_commune(geography: Geography, field: str, insee: str) -> None:
    if geography.get(insee) is None:
        raise InvalidInput(field, f"commune inconnue (code INSEE {insee})")


def check_offer(session: Session, data: OfferIn, *, taxonomy: Taxonomy, geography: Geography) -> None:
    """Raise :class:`InvalidInput` naming the first reference that does not exist."""
    if session.get(EmployerRow, data.employer_id) is None:
        raise InvalidInput("employer_id", f"employeur inconnu : {data.employer_id}")
    check_commune(geography, "commune_insee", data.commune_insee)
    _check_rome(taxonomy, "rome_code", data.rome_code)
    _check_skills(taxonomy, "required_skills", data.required_skills)
    _check_skills(taxonomy, "desired_skills", data.desired_skills)


def check_candidate(data: CandidateIn, *, taxonomy: Taxonomy, geography: Geography) -> None:
    for position, insee in enumerate(data.mobility.communes):
        check_commune(geography, f"mobility.communes.{position}", insee)
    for position, code in enumerate(data.desired_occupations):
        _check_rome(taxonomy, f"desired_occupations.{position}", code)
    for position, experience in enumerate(data.experiences):
        _check_rome(taxonomy, f"experiences.{position}.rome_code", experience.rome_code)
    _check_skills(taxonomy, "skills", data.skills)


# --- employers -------------------------------------------------------------------------------


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
    from matcher import webhooks

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


# --- offers ----------------------------------------------------------------------------------


def create_offer(
    session: Session, *, data: OfferIn, taxonomy: Taxonomy, geography: Geography, offer_id: str | None = None
) -> Offer:
    check_offer(session, data, taxonomy=taxonomy, geography=geography)
    row = OfferRow(id=offer_id or new_id("off"), version=1, **columns(data))
    row.closed_at = datetime.now(UTC) if data.status is OfferStatus.CLOSED else None
    session.add(row)
    session.flush()
    enqueue(session, topic="offer", entity_id=row.id, version=row.version, action="upsert")
    return offer_from_row(row)


def _offer_row(session: Session, offer_id: str) -> OfferRow:
    row = session.get(OfferRow, offer_id)
    if row is None:
        raise NotFound("offre", offer_id)
    return row


def get_offer(session: Session, *, offer_id: str) -> Offer:
    return offer_from_row(_offer_row(session, offer_id))


def update_offer(session: Session, *, offer_id: str, data: OfferIn, taxonomy: Taxonomy, geography: Geography) -> Offer:
    row = _offer_row(session, offer_id)
    check_offer(session, data, taxonomy=taxonomy, geography=geography)
    for column, value in columns(data).items():
        setattr(row, column, value)
    _touch_offer(row)
    session.flush()
    enqueue(session, topic="offer", entity_id=row.id, version=row.version, action="upsert")
    return offer_from_row(row)


def _touch_offer(row: OfferRow) -> None:
    """A new version; closing an offer ends its recruitment process, which starts the retention clock."""
    now = datetime.now(UTC)
    row.version += 1
    row.updated_at = now
    if row.status == OfferStatus.CLOSED.value:
        row.closed_at = row.closed_at or now
    else:
        row.closed_at = None


def set_offer_status(session: Session, *, offer_id: str, status: OfferStatus) -> Offer:
    """Publish or close an offer (a no-op when it already has that status)."""
    row = _offer_row(session, offer_id)
    if row.status != status.value:
        row.status = status.value
        _touch_offer(row)
        session.flush()
        enqueue(session, topic="offer", entity_id=row.id, version=row.version, action="upsert")
    return offer_from_row(row)


def delete_offer(session: Session, *, offer_id: str) -> None:
    row = _offer_row(session, offer_id)
    enqueue(session, topic="offer", entity_id=row.id, version=row.version + 1, action="delete")
    session.delete(row)


def list_offers(
    session: Session,
    *,
    employer_id: str | None = None,
    status: OfferStatus | None = None,
    limit: int = 50,
    offset: int = 0,
    visible: Select[OfferRow] | None = None,
) -> tuple[list[Offer], int]:
    """A page of offers; ``visible`` is the caller's scope (see :func:`matcher.tenancy.offers_query`)."""
    query = visible if visible is not None else select(OfferRow)
    if employer_id:
        query = query.where(OfferRow.employer_id == employer_id)
    if status:
        query = query.where(OfferRow.status == status.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(OfferRow.published_at.desc(), OfferRow.id).limit(min(limit, MAX_PAGE)).offset(offset)
    )
    return [offer_from_row(r) for r in rows], total


# --- candidates ------------------------------------------------------------------------------


def _consent(session: Session, row: CandidateRow, data: CandidateIn, now: datetime) -> None:
    """Record when a candidate opened their profile to employers (and joined the talent pool); forget it when
    they close it. A withdrawal also takes them out of shortlists nobody has acted on yet."""
    if data.visibility == Visibility.EMPLOYERS and row.consented_at is None:
        row.consented_at = now
    elif data.visibility != Visibility.EMPLOYERS:
        if row.consented_at is not None:
            withdraw_from_shortlists(session, row.id)
        row.consented_at = None
    if data.talent_pool is not None:  # None: unchanged
        row.talent_pool_consented_at = (row.talent_pool_consented_at or now) if data.talent_pool else None
    row.last_contact_at = now  # an edit by the candidate restarts the retention clock


def _candidate_columns(data: CandidateIn) -> dict[str, Any]:
    values = columns(data)
    values.pop("talent_pool", None)  # a consent, stored as its date
    return values


def create_candidate(
    session: Session, *, data: CandidateIn, taxonomy: Taxonomy, geography: Geography, candidate_id: str | None = None
) -> Candidate:
    if candidate_id is not None:
        ensure_not_erased(session, kind="candidate", entity_id=candidate_id)
    check_candidate(data, taxonomy=taxonomy, geography=geography)
    row = CandidateRow(id=candidate_id or new_id("cand"), version=1, consented_at=None, **_candidate_columns(data))
    _consent(session, row, data, datetime.now(UTC))
    session.add(row)
    session.flush()
    enqueue(session, topic="candidate", entity_id=row.id, version=row.version, action="upsert")
    return candidate_from_row(row)


def _candidate_row(session: Session, candidate_id: str) -> CandidateRow:
    row = session.get(CandidateRow, candidate_id)
    if row is None:
        raise NotFound("candidat", candidate_id)
    return row


def get_candidate(session: Session, *, candidate_id: str) -> Candidate:
    return candidate_from_row(_candidate_row(session, candidate_id))


def get_candidates(session: Session, *, candidate_ids: list[str]) -> dict[str, Candidate]:
    rows = session.scalars(select(CandidateRow).where(CandidateRow.id.in_(candidate_ids)))
    return {r.id: candidate_from_row(r) for r in rows}


def update_candidate(
    session: Session, *, candidate_id: str, data: CandidateIn, taxonomy: Taxonomy, geography: Geography
) -> Candidate:
    ensure_not_erased(session, kind="candidate", entity_id=candidate_id)
    row = _candidate_row(session, candidate_id)
    check_candidate(data, taxonomy=taxonomy, geography=geography)
    for column, value in _candidate_columns(data).items():
        setattr(row, column, value)
    now = datetime.now(UTC)
    _consent(session, row, data, now)
    row.version += 1
    row.updated_at = now
    session.flush()
    enqueue(session, topic="candidate", entity_id=row.id, version=row.version, action="upsert")
    return candidate_from_row(row)


def delete_candidate(session: Session, *, candidate_id: str) -> None:
    row = _candidate_row(session, candidate_id)
    enqueue(session, topic="candidate", entity_id=row.id, version=row.version + 1, action="delete")
    session.delete(row)


def list_candidates(
    session: Session, *, visibility: Visibility | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Candidate], int]:
    query = select(CandidateRow)
    if visibility:
        query = query.where(CandidateRow.visibility == visibility.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(CandidateRow.id).limit(min(limit, MAX_PAGE)).offset(offset))
    return [candidate_from_row(r) for r in rows], total
