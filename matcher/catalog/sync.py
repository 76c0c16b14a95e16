"""Bulk sync of a partner agency's offers, idempotent by (partner, external id) and version.

Each item is an envelope ``{"external_id", "version" | "updated_at", "deleted", "offer"}`` or a
schema.org JobPosting. Per item the outcome is created, updated, unchanged, deleted or rejected
(with the field at fault). A version lower than the one on record is refused, so a replayed or
late push never undoes a newer one; a delete leaves a tombstone, so an old upsert cannot revive
the offer. Items are validated first, outside any write; then applied in chunks, each its own
transaction (bounded in items and time, so other writers never wait long), each item in its own
savepoint. A chunk is atomic and idempotent: one that fails (a concurrent identical push) is
applied again and finds what the other wrote. One partner's chunks are serialised.
Every effective change adds a row to the change feed the partner pulls with a cursor.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from matcher.access.accounts import PartnerOut, Principal
from matcher.catalog.jsonld import is_job_posting, offer_from_posting
from matcher.catalog.offers import create_offer, delete_offer, update_offer
from matcher.core.bodies import load_json, load_json_lines
from matcher.core.errors import Conflict, InvalidInput, NotFound, UnsupportedMedia
from matcher.core.messages import field_path, french
from matcher.core.models import MAX_PAGE, OfferIn, Strict
from matcher.core.records import columns
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import Taxonomy
from matcher.store.db import Store
from matcher.store.tables import ChangeRow, EmployerRow, OfferRow, PartnerRow, SyncItemRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

MAX_ITEMS = 10_000
MAX_VERSION = 2**63 - 1  # the store's BIGINT
JSON_TYPES = ("application/json",)
LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-seq")
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
    version: int | None = Field(default=None, ge=0, le=MAX_VERSION)
    updated_at: datetime | None = None
    deleted: bool = False
    offer: dict[str, Any] | None = None


class _Item:
    """A validated item: what to apply, before looking at the store."""

    def __init__(self, external_id: str, version: int, offer: OfferIn | None) -> None:
        self.external_id, self.version, self.offer = external_id, version, offer
        self.digest = hashlib.sha256(json.dumps(columns(offer), sort_keys=True).encode()).hexdigest() if offer else ""


@dataclass(frozen=True)
class Chunking:
    """How a push is cut into transactions; ``items=0`` applies it in one (the former way)."""

    items: int = 500
    seconds: float = 0.25
    pause_s: float = 0.0  # SQLite: a pause between chunks lets in writers of other processes (they poll)

    @classmethod
    def of(cls, rt: Runtime) -> Chunking:
        s = rt.settings
        return cls(items=s.sync_chunk_items, seconds=s.sync_chunk_s, pause_s=s.sync_pause_s)


def parse_body(body: bytes, content_type: str, *, noun: str = "offres") -> list[Any]:
    """A JSON array, or JSON lines (``application/x-ndjson`` / ``application/jsonl``) of ``noun``."""
    message = Message()
    message["content-type"] = content_type or "application/json"
    media = message.get_content_type()
    if media in LINES_TYPES:
        items = load_json_lines(body)
    elif media in JSON_TYPES or media.endswith("+json"):
        items = load_json(body or b"null")
    else:
        raise UnsupportedMedia(media, JSON_TYPES + LINES_TYPES[:2])
    if not isinstance(items, list):
        raise InvalidInput("body", f"un tableau JSON (ou des lignes JSON) de {noun} est attendu")
    if len(items) > MAX_ITEMS:
        raise InvalidInput("body", f"au plus {MAX_ITEMS} {noun} par requête (celle-ci en contient {len(items)})")
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
        raise InvalidInput(field_path(error["loc"]) or "body", french(error)) from None
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
        raise InvalidInput(field_path(error["loc"], prefix="offer"), french(error)) from None
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
    store: Store,
    *,
    partner: Principal,
    items: list[Any],
    taxonomy: Taxonomy,
    geography: Geography,
    chunking: Chunking | None = None,
    attempts: int = 3,
) -> SyncReport:
    """Validate a partner's batch, then apply it chunk by chunk; returns the fate of each item, in order."""
    chunking = chunking or Chunking()
    with store.read() as session:  # validation reads (employers by SIREN) only: no write lock held meanwhile
        validated: list[_Item | InvalidInput] = []
        for raw in items:
            try:
                validated.append(_validate(session, partner, raw, geography))
            except InvalidInput as error:
                validated.append(error)
    results: list[ItemResult] = []
    sqlite = store.engine.dialect.name == "sqlite"
    while len(results) < len(items):
        if results and sqlite and chunking.pause_s:
            time.sleep(chunking.pause_s)  # writers queued on SQLite's lock poll every 100 ms at most: let them in
        results += _commit_chunk(
            store,
            partner,
            items,
            validated,
            start=len(results),
            chunking=chunking,
            taxonomy=taxonomy,
            geography=geography,
            attempts=attempts,
        )
    with store.read() as session:
        cursor = session.scalar(select(func.max(ChangeRow.seq)).where(ChangeRow.partner_id == partner.subject)) or 0
    counts = {status: 0 for status in Status}
    for result in results:
        counts[result.status] += 1
    return SyncReport(received=len(items), counts=counts, cursor=cursor, items=results)


def _commit_chunk(
    store: Store,
    partner: Principal,
    items: list[Any],
    validated: list[_Item | InvalidInput],
    *,
    start: int,
    chunking: Chunking,
    taxonomy: Taxonomy,
    geography: Geography,
    attempts: int,
) -> list[ItemResult]:
    """Apply items from ``start`` in one transaction, until the chunk's item or time budget is spent.

    A chunk that fails as a whole (a concurrent identical push won a unique key, or the store was
    busy) is rolled back and applied again: it then finds what the other push committed.
    """
    limit = len(items) if chunking.items == 0 else min(len(items), start + chunking.items)
    for attempt in range(attempts):
        try:
            results: list[ItemResult] = []
            with store.transaction() as session:
                began = time.monotonic()
                _lock_partner(session, partner.subject)
                batch = _Batch(session, partner, taxonomy, geography)
                batch.load(sorted({v.external_id for v in validated[start:limit] if isinstance(v, _Item)}))
                for index in range(start, limit):
                    results.append(_apply_one(session, batch, index, items[index], validated[index]))
                    if chunking.items and time.monotonic() - began > chunking.seconds:
                        break
            return results
        except (IntegrityError, OperationalError):
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def push(rt: Runtime, *, partner: Principal, body: bytes, content_type: str) -> SyncReport:
    """The partner sync use case: read the body, apply it in chunks (see the module docstring)."""
    items = parse_body(body, content_type)
    return sync_offers(
        rt.store,
        partner=partner,
        items=items,
        taxonomy=rt.taxonomy,
        geography=rt.geography,
        chunking=Chunking.of(rt),
    )


def partner_profile(rt: Runtime, *, partner_id: str) -> PartnerOut:
    """Who a partner key stands for: its name and the employers it may sync offers for."""
    with rt.store.read() as session:
        row = session.get(PartnerRow, partner_id)
        if row is None:
            raise NotFound("partenaire", partner_id)
        return PartnerOut(id=row.id, name=row.name, employer_ids=list(row.employer_ids))


def changes_since(rt: Runtime, *, partner_id: str, since: int, limit: int) -> ChangePage:
    """The change feed use case: what changed in the partner's offers after cursor ``since``."""
    with rt.store.read() as session:
        return changes(session, partner_id=partner_id, since=since, limit=limit)


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
