"""Offers: validated writes (each bumps the version and adds an outbox row in the same transaction) and lists."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from matcher.catalog.validation import check_commune, check_rome, check_skills
from matcher.core.errors import Conflict, InvalidInput
from matcher.core.models import (
    MAX_PAGE,
    Offer,
    OfferIn,
    OfferStatus,
)
from matcher.core.outbox import enqueue, new_id
from matcher.core.records import columns, offer_from_row, offer_row
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import Taxonomy
from matcher.store.tables import EmployerRow, OfferRow


def check_offer(session: Session, data: OfferIn, *, taxonomy: Taxonomy, geography: Geography) -> None:
    """Raise :class:`InvalidInput` naming the first reference that does not exist."""
    if session.get(EmployerRow, data.employer_id) is None:
        raise InvalidInput("employer_id", f"employeur inconnu : {data.employer_id}")
    check_commune(geography, "commune_insee", data.commune_insee)
    check_rome(taxonomy, "rome_code", data.rome_code)
    check_skills(taxonomy, "required_skills", data.required_skills)
    check_skills(taxonomy, "desired_skills", data.desired_skills)


def _check_reference(session: Session, data: OfferIn, *, offer_id: str | None = None) -> None:
    """A reference is unique per (source, employer): another employer's use of it is none of this caller's business."""
    if data.external_ref is None:
        return
    taken = session.scalar(
        select(OfferRow.id).where(
            OfferRow.source == data.source,
            OfferRow.employer_id == data.employer_id,
            OfferRow.external_ref == data.external_ref,
            OfferRow.id != (offer_id or ""),
        )
    )
    if taken is not None:
        raise Conflict(
            f"la référence « {data.external_ref} » est déjà celle d'une autre offre de cet employeur",
            field="external_ref",
        )


def create_offer(
    session: Session, *, data: OfferIn, taxonomy: Taxonomy, geography: Geography, offer_id: str | None = None
) -> Offer:
    check_offer(session, data, taxonomy=taxonomy, geography=geography)
    _check_reference(session, data)
    row = OfferRow(id=offer_id or new_id("off"), version=1, **columns(data))
    row.closed_at = datetime.now(UTC) if data.status is OfferStatus.CLOSED else None
    session.add(row)
    session.flush()
    enqueue(session, topic="offer", entity_id=row.id, version=row.version, action="upsert")
    return offer_from_row(row)


def update_offer(session: Session, *, offer_id: str, data: OfferIn, taxonomy: Taxonomy, geography: Geography) -> Offer:
    row = offer_row(session, offer_id)
    check_offer(session, data, taxonomy=taxonomy, geography=geography)
    _check_reference(session, data, offer_id=offer_id)
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
    row = offer_row(session, offer_id)
    if row.status != status.value:
        row.status = status.value
        _touch_offer(row)
        session.flush()
        enqueue(session, topic="offer", entity_id=row.id, version=row.version, action="upsert")
    return offer_from_row(row)


def delete_offer(session: Session, *, offer_id: str) -> None:
    row = offer_row(session, offer_id)
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
