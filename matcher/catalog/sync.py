"""Bulk sync of a partner agency's offers, idempotent by (partner, external id) and version.

Each item is an envelope ``{"external_id", "version" | "updated_at", "deleted", "offer"}`` or a
schema.org JobPosting. Per item the outcome is created, updated, unchanged, deleted or rejected
(with the field at fault). A version lower than the one on record is refused, so a replayed or
late push never undoes a newer one; a delete leaves a tombstone, so an old upsert cannot revive
the offer. One partner's pushes are serialised; each item is applied in its own savepoint.
Every effective change adds a row to the change feed the partner pulls with a cursor.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from matcher.access.accounts import Principal
from matcher.catalog.jsonld import is_job_posting, offer_from_posting
from matcher.catalog.offers import create_offer, delete_offer, update_offer
from matcher.core.errors import Conflict, InvalidInput
from matcher.core.models import MAX_PAGE, OfferIn, Strict
from matcher.core.records import columns
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import Taxonomy
from matcher.store.db import Store
from matcher.store.tables import ChangeRow, EmployerRow, OfferRow, SyncItemRow

MAX_ITEMS = 10_000
KIND = "offer"
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class Status(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    REJECTED = "rejected"


class FieldError(BaseModel):
    field: str
    message: str


class ItemResult(BaseModel):
    index: int
    external_id: str | None
    status: Status
    offer_id: str | None = None
    version: int | None = None
    errors: list[FieldError] = Field(default_factory=list)


class SyncReport(BaseModel):
    received: int
    counts: dict[Status, int]
    cursor: int = Field(description="Curseur du flux de changements après cette synchronisation")
    items: list[ItemResult]


class Change(BaseModel):
    cursor: int
    external_id: str
    offer_id: str | None
    action: str
    version: int
    at: datetime


class ChangePage(BaseModel):
    changes: list[Change]
    next_cursor: int
    has_more: bool


class Envelope(Strict):
    external_id: ExternalId
    version: int | None = Field(default=None, ge=0)
    updated_at: datetime | None = None
    deleted: bool = False
    offer: dict[str, Any] | None = None


class _Item:
    """A validated item: what to apply, before looking at the store."""

    def __init__(self, external_id: str, version: int, offer: OfferIn | None) -> None:
        self.external_id, self.version, self.offer = external_id, version, offer
        self.digest = hashlib.sha256(json.dumps(columns(offer), sort_keys=True).encode()).hexdigest() if offer else ""


def parse_body(body: bytes, content_type: str) -> list[Any]:
    """A JSON array, or JSON lines (``application/x-ndjson`` / ``application/jsonl``)."""
    try:
        if "ndjson" in content_type or "jsonl" in content_type or "json-seq" in content_type:
            items = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        else:
            items = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("body", f"JSON illisible : {exc}") from None
    if not isinstance(items, list):
        raise InvalidInput("body", "un tableau JSON (ou des lignes JSON) d'offres est attendu")
    if len(items) > MAX_ITEMS:
        raise InvalidInput("body", f"au plus {MAX_ITEMS} offres par requête ({len(items)} reçues)")
    return items


def _employer_of_posting(session: Session, partner: Principal, posting: dict[str, Any]) -> str:
    organisation = posting.get("hiringOrganization")
    identifier = organisation.get("identifier") if isinstance(organisation, dict) else None
    if isinstance(identifier, dict):
        identifier = identifier.get("value")
    if identifier:
        identifier = str(identifier)
        if identifier in partner.employer_ids:
            return identifier
        by_siren = session.scalars(select(EmployerRow.id).where(EmployerRow.siren == identifier)).all()
        if by_siren:
            return by_siren[0]
        return identifier  # refused below as outside the partner's scope
    if len(partner.employer_ids) == 1:
        return next(iter(partner.employer_ids))
    raise InvalidInput("hiringOrganization.identifier", "employeur non précisé (identifiant ou SIREN)")


def _validate(session: Session, partner: Principal, raw: Any, geography: Geography) -> _Item:
    if not isinstance(raw, dict):
        raise InvalidInput("", "un objet JSON est attendu")
    if is_job_posting(raw):
        identifier = raw.get("identifier")
        external_id = str(identifier.get("value") if isinstance(identifier, dict) else identifier or "").strip()
        if not external_id:
            raise InvalidInput("identifier", "identifiant de l'offre manquant")
        modified = raw.get("dateModified") or raw.get("datePosted")
        try:
            version = int(datetime.fromisoformat(str(modified)).timestamp() * 1000) if modified else None
        except ValueError:
            raise InvalidInput("dateModified", "date invalide") from None
        if version is None:
            raise InvalidInput("dateModified", "dateModified ou datePosted est nécessaire pour ordonner les versions")
        employer_id = _employer_of_posting(session, partner, raw)
        offer = offer_from_posting(raw, geography=geography, employer_id=employer_id)
        return _Item(
            external_id, version, offer.model_copy(update={"source": partner.subject, "external_ref": external_id})
        )
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InvalidInput(".".join(str(p) for p in error["loc"]), error["msg"]) from None
    if envelope.version is not None:
        version = envelope.version
    elif envelope.updated_at is not None:
        version = int(envelope.updated_at.timestamp() * 1000)
    else:
        raise InvalidInput("version", "version ou updated_at est nécessaire pour ordonner les mises à jour")
    if envelope.deleted:
        return _Item(envelope.external_id, version, None)
    if envelope.offer is None:
        raise InvalidInput("offer", "l'offre est absente (ou indiquez deleted: true)")
    payload = {**envelope.offer, "source": partner.subject, "external_ref": envelope.external_id}
    try:
        offer = OfferIn.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InvalidInput("offer." + ".".join(str(p) for p in error["loc"]), error["msg"]) from None
    return _Item(envelope.external_id, version, offer)


def _lock_partner(session: Session, partner_id: str) -> None:
    """Serialise one partner's pushes on PostgreSQL (SQLite serialises writers already)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"sync:{partner_id}".encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


class _Batch:
    def __init__(self, session: Session, partner: Principal, taxonomy: Taxonomy, geography: Geography) -> None:
        self.session, self.partner, self.taxonomy, self.geography = session, partner, taxonomy, geography
        self.known: dict[str, SyncItemRow] = {}

    def load(self, external_ids: list[str]) -> None:
        for start in range(0, len(external_ids), 500):
            chunk = external_ids[start : start + 500]
            rows = self.session.scalars(
                select(SyncItemRow).where(
                    SyncItemRow.partner_id == self.partner.subject,
                    SyncItemRow.kind == KIND,
                    SyncItemRow.external_id.in_(chunk),
                )
            )
            self.known.update({r.external_id: r for r in rows})

    def apply(self, item: _Item) -> tuple[Status, str | None, str]:
        """(status, offer id, reason when rejected)."""
        prev = self.known.get(item.external_id)
        if prev is not None and item.version < prev.version:
            return Status.REJECTED, prev.entity_id, f"version {item.version} antérieure à la version {prev.version}"
        if item.offer is None:
            return self._delete(item, prev)
        if prev is not None and prev.deleted_at is not None and item.version == prev.version:
            return Status.REJECTED, None, f"offre supprimée à la version {prev.version}"
        if prev is not None and prev.deleted_at is None and item.version == prev.version:
            if item.digest == prev.content_hash:
                return Status.UNCHANGED, prev.entity_id, ""
            return Status.REJECTED, prev.entity_id, "même version, contenu différent : incrémentez la version"
        if not self.partner.may_act_for(item.offer.employer_id):
            raise InvalidInput("offer.employer_id", f"employeur hors de votre périmètre : {item.offer.employer_id}")
        live = self._live_offer(prev)
        if prev is not None and live is not None:
            if item.digest == prev.content_hash:
                prev.version = item.version
                return Status.UNCHANGED, prev.entity_id, ""
            offer = update_offer(
                self.session,
                offer_id=live,
                data=item.offer,
                taxonomy=self.taxonomy,
                geography=self.geography,
            )
            status = Status.UPDATED
        else:
            offer = create_offer(self.session, data=item.offer, taxonomy=self.taxonomy, geography=self.geography)
            status = Status.CREATED
        self._remember(item, prev, offer.id, action=status.value)
        return status, offer.id, ""

    def _live_offer(self, prev: SyncItemRow | None) -> str | None:
        """The offer a listing stands for, unless deleted (by the partner, or by a recruiter meanwhile)."""
        if prev is None or prev.deleted_at is not None or prev.entity_id is None:
            return None
        return prev.entity_id if self.session.get(OfferRow, prev.entity_id) is not None else None

    def _delete(self, item: _Item, prev: SyncItemRow | None) -> tuple[Status, str | None, str]:
        if prev is not None and prev.deleted_at is not None:
            prev.version = max(prev.version, item.version)
            return Status.UNCHANGED, None, ""
        if prev is None:  # never seen: keep a tombstone so an older upsert arriving late stays dead
            self._remember(item, None, None, action=None)
            return Status.UNCHANGED, None, ""
        if prev.entity_id and self.session.get(OfferRow, prev.entity_id) is not None:
            delete_offer(self.session, offer_id=prev.entity_id)
        self._remember(item, prev, prev.entity_id, action=Status.DELETED.value)
        return Status.DELETED, prev.entity_id, ""

    def _remember(self, item: _Item, prev: SyncItemRow | None, entity_id: str | None, *, action: str | None) -> None:
        """Record what the partner last sent; ``action`` (created, updated, deleted) goes to the change feed."""
        now = datetime.now(UTC)
        row = prev or SyncItemRow(partner_id=self.partner.subject, kind=KIND, external_id=item.external_id)
        row.entity_id, row.version, row.content_hash = entity_id, item.version, item.digest
        row.deleted_at = now if item.offer is None else None  # a delete leaves a tombstone
        if prev is None:
            self.session.add(row)
            self.known[item.external_id] = row
        if action is not None:
            self.session.add(
                ChangeRow(
                    partner_id=self.partner.subject,
                    kind=KIND,
                    external_id=item.external_id,
                    entity_id=entity_id,
                    action=action,
                    version=item.version,
                    at=now,
                )
            )


def sync_offers(
    store: Store, *, partner: Principal, items: list[Any], taxonomy: Taxonomy, geography: Geography, attempts: int = 3
) -> SyncReport:
    """Apply a partner's batch; a concurrent identical batch makes this one retry and find everything unchanged."""
    for attempt in range(attempts):
        try:
            return _sync_once(store, partner=partner, items=items, taxonomy=taxonomy, geography=geography)
        except (IntegrityError, OperationalError):
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _sync_once(
    store: Store, *, partner: Principal, items: list[Any], taxonomy: Taxonomy, geography: Geography
) -> SyncReport:
    results: list[ItemResult] = []
    with store.transaction() as session:
        _lock_partner(session, partner.subject)
        batch = _Batch(session, partner, taxonomy, geography)
        validated: list[_Item | InvalidInput] = []
        for raw in items:
            try:
                validated.append(_validate(session, partner, raw, geography))
            except InvalidInput as error:
                validated.append(error)
        batch.load(sorted({v.external_id for v in validated if isinstance(v, _Item)}))
        for index, (raw, item) in enumerate(zip(items, validated, strict=True)):
            results.append(_apply_one(session, batch, index, raw, item))
        session.flush()
        cursor = session.scalar(select(func.max(ChangeRow.seq)).where(ChangeRow.partner_id == partner.subject)) or 0
    counts = {status: 0 for status in Status}
    for result in results:
        counts[result.status] += 1
    return SyncReport(received=len(items), counts=counts, cursor=cursor, items=results)


def _apply_one(session: Session, batch: _Batch, index: int, raw: Any, item: _Item | InvalidInput) -> ItemResult:
    if isinstance(item, InvalidInput):
        external_id = raw.get("external_id") if isinstance(raw, dict) else None
        return ItemResult(
            index=index,
            external_id=str(external_id) if external_id is not None else None,
            status=Status.REJECTED,
            errors=[FieldError(field=item.field, message=item.detail)],
        )
    try:
        with session.begin_nested():
            status, offer_id, reason = batch.apply(item)
    except InvalidInput as error:
        return ItemResult(
            index=index,
            external_id=item.external_id,
            status=Status.REJECTED,
            errors=[FieldError(field=error.field, message=error.detail)],
        )
    except (Conflict, IntegrityError):  # an offer of this employer holds this (source, reference): this item only
        batch.known.pop(item.external_id, None)
        return ItemResult(
            index=index,
            external_id=item.external_id,
            status=Status.REJECTED,
            errors=[FieldError(field="external_id", message="conflit avec une offre existante")],
        )
    errors = [FieldError(field="version", message=reason)] if status is Status.REJECTED else []
    return ItemResult(
        index=index, external_id=item.external_id, status=status, offer_id=offer_id, version=item.version, errors=errors
    )


def changes(session: Session, *, partner_id: str, since: int, limit: int) -> ChangePage:
    limit = min(limit, MAX_PAGE)  # pages of at most 200, whoever asks
    rows = session.scalars(
        select(ChangeRow)
        .where(ChangeRow.partner_id == partner_id, ChangeRow.kind == KIND, ChangeRow.seq > since)
        .order_by(ChangeRow.seq)
        .limit(limit + 1)
    ).all()
    page = [
        Change(
            cursor=r.seq, external_id=r.external_id, offer_id=r.entity_id, action=r.action, version=r.version, at=r.at
        )
        for r in rows[:limit]
    ]
    return ChangePage(changes=page, next_cursor=page[-1].cursor if page else since, has_more=len(rows) > limit)
