"""Offers: validated writes (each bumps the version and adds an outbox row in the same transaction) and lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from indices.protocol import Filter, Terms
from matcher.access import tenancy
from matcher.access.accounts import Principal, Role
from matcher.catalog.corrections import OCCUPATION_SET
from matcher.catalog.employers import list_employers
from matcher.catalog.search import SearchFilters, matching_offer_ids
from matcher.catalog.validation import check_commune, check_rome, check_skills
from matcher.core.errors import Conflict, InvalidInput
from matcher.core.models import (
    MAX_PAGE,
    Category,
    Employer,
    Offer,
    OfferIn,
    OfferStatus,
)
from matcher.core.outbox import enqueue, new_id
from matcher.core.records import columns, offer_from_row, offer_row
from matcher.governance import audit
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import Taxonomy
from matcher.store.tables import EmployerRow, OfferRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime


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


# --- use cases: each owns its unit of work and checks what the principal may do (the edges call these) ---


@dataclass(frozen=True)
class OfferListing:
    """A page of offers, with the employers they may name (those the caller may see)."""

    items: list[Offer]
    total: int
    employers: dict[str, Employer]


def offer_listing(
    rt: Runtime,
    *,
    principal: Principal | None,
    employer_id: str | None = None,
    status: OfferStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> OfferListing:
    """The offers the principal may see (anonymous visitors: published ones), a page at a time."""
    visible = tenancy.offers_query(principal) if principal else tenancy.published_offers_query()
    with rt.store.read() as session:
        items, total = list_offers(
            session, employer_id=employer_id, status=status, limit=limit, offset=offset, visible=visible
        )
        employers = {
            e.id: e
            for e in list_employers(session)
            if principal is None or principal.role is Role.SEEKER or principal.may_act_for(e.id)
        }
    return OfferListing(items=items, total=total, employers=employers)


class OfferOrder(StrEnum):
    """How the public board orders offers found by words: best match first, or newest first."""

    RELEVANCE = "relevance"
    DATE = "date"


def public_offer_search(
    rt: Runtime,
    *,
    query: str,
    filters: SearchFilters,
    domain: str | None = None,
    categories: Sequence[Category] = (),
    order: OfferOrder = OfferOrder.RELEVANCE,
    limit: int,
    offset: int,
) -> OfferListing:
    """Published offers for anyone, a page at a time. Words must match or be close enough in meaning (as in
    candidate search); ``domain``: a ROME grand domain ("K") or professional domain ("K21"); ``categories``:
    of the fonction publique. Best match first, or newest first (always without words: nothing to rank by).

    Raises:
        InvalidInput: ``filters`` name a commune that does not exist, or ``domain`` is not a ROME domain.
    """
    extra: list[Filter] = []
    if domain:
        if rt.taxonomy.domain_label(domain) is None:
            raise InvalidInput("domain", f"domaine professionnel inconnu : {domain}")
        extra.append(Terms("rome_code", tuple(rt.taxonomy.codes_in_domain(domain))))
    if categories:
        extra.append(Terms("category", tuple(c.value for c in categories)))
    if not query and filters == SearchFilters() and not extra:
        return offer_listing(rt, principal=None, limit=limit, offset=offset)
    ids = matching_offer_ids(rt, query, filters, k=1000, min_cosine=rt.settings.search_min_cosine, extra=extra)
    with rt.store.read() as session:
        if order is OfferOrder.DATE or not query:
            newest = OfferRow.published_at.desc().nulls_last()
            ids = list(session.scalars(select(OfferRow.id).where(OfferRow.id.in_(ids)).order_by(newest, OfferRow.id)))
        page = ids[offset : offset + limit]
        rows = {r.id: r for r in session.scalars(select(OfferRow).where(OfferRow.id.in_(page)))}
        employers = {e.id: e for e in list_employers(session)}
    items = [offer_from_row(rows[i]) for i in page if i in rows]
    return OfferListing(items=items, total=len(ids), employers=employers)


def _in_scope(principal: Principal, data: OfferIn) -> None:
    if not principal.may_act_for(data.employer_id):
        raise InvalidInput("employer_id", f"employeur hors de votre périmètre : {data.employer_id}")


def _provenance(principal: Principal, data: OfferIn, *, current: OfferRow | None = None) -> OfferIn:
    """Where an offer comes from is not the caller's to claim (admins' imports aside): a partner's offers carry
    its id, a recruiter's are "direct", and an edit keeps the source and reference the offer already has."""
    if principal.role is Role.ADMIN:
        return data
    if current is not None:
        return data.model_copy(update={"source": current.source, "external_ref": current.external_ref})
    return data.model_copy(update={"source": principal.subject if principal.role is Role.PARTNER else "direct"})


def add_offer(rt: Runtime, *, principal: Principal, data: OfferIn) -> Offer:
    """A new offer for an employer the principal acts for; its provenance is set from who adds it."""
    _in_scope(principal, data)
    with rt.store.transaction() as session:
        return create_offer(session, data=_provenance(principal, data), taxonomy=rt.taxonomy, geography=rt.geography)


def offer_for(rt: Runtime, *, principal: Principal, offer_id: str) -> Offer:
    """An offer the principal may see (anything else is NotFound)."""
    with rt.store.read() as session:
        return offer_from_row(tenancy.offer_row(session, principal, offer_id))


def edit_offer(rt: Runtime, *, principal: Principal, offer_id: str, data: OfferIn) -> Offer:
    """Replace an offer the principal acts for; it keeps its source and reference."""
    _in_scope(principal, data)
    with rt.store.transaction() as session:
        current = tenancy.offer_row(session, principal, offer_id)
        return update_offer(
            session,
            offer_id=offer_id,
            data=_provenance(principal, data, current=current),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )


def set_occupation(rt: Runtime, *, principal: Principal, offer_id: str, rome_code: str) -> Offer:
    """Give an offer the principal acts for its ROME occupation: a recruiter confirming or correcting what the
    ranking read in the text. Everything else stays; the offer gets a new version like any edit (none when it
    already has that code), and the human correction joins the audit log."""
    with rt.store.transaction() as session:
        offer = offer_from_row(tenancy.offer_row(session, principal, offer_id))
        if offer.rome_code == rome_code:
            return offer
        data = OfferIn.model_validate({**offer.model_dump(include=set(OfferIn.model_fields)), "rome_code": rome_code})
        updated = update_offer(session, offer_id=offer_id, data=data, taxonomy=rt.taxonomy, geography=rt.geography)
        audit.record(
            session,
            actor=principal.subject,
            action=OCCUPATION_SET,
            subject=offer_id,
            payload={"from": offer.rome_code, "to": rome_code, "offer_version": updated.version},
        )
    rt.learn_occupation(offer_id, updated.title, rome_code)  # once committed: later offers of that title lean to it
    return updated


def change_status(rt: Runtime, *, principal: Principal, offer_id: str, status: OfferStatus) -> Offer:
    """Publish or close an offer the principal acts for."""
    with rt.store.transaction() as session:
        tenancy.offer_row(session, principal, offer_id)
        return set_offer_status(session, offer_id=offer_id, status=status)


def remove_offer(rt: Runtime, *, principal: Principal, offer_id: str) -> None:
    """Delete an offer the principal acts for."""
    with rt.store.transaction() as session:
        tenancy.offer_row(session, principal, offer_id)
        delete_offer(session, offer_id=offer_id)
