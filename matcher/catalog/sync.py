"""Bulk sync of a partner's listings, idempotent by (partner, external id) and version: the one engine behind
offers (here) and candidate profiles (:mod:`matcher.catalog.candidate_sync`).

Each item is an envelope ``{"external_id", "version" | "updated_at", "deleted", <payload>}`` (offers also
take a schema.org JobPosting). Per item the outcome is created, updated, unchanged, deleted or rejected
(with the field at fault). A version lower than the one on record is refused, so a replayed or late push
never undoes a newer one; a delete leaves a tombstone, so an old upsert cannot revive the listing. Items
are validated first, outside any write; then applied in chunks, each its own transaction (bounded in
items and time, so other writers never wait long), each item in its own savepoint. A chunk is atomic and
idempotent: one that fails (a concurrent identical push) is applied again and finds what the other wrote.
One partner's chunks are serialised. Every effective change adds a row to the change feed the partner
pulls with a cursor.

What differs between kinds of listing is a small :class:`Kind` adapter: how an item is validated, what
record it stands for, what may refuse it, how it is written and deleted.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Protocol

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
from matcher.core.progress import Progress
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


# --- the engine ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A validated item: what to apply, before looking at the store. ``payload`` None is a delete."""

    external_id: str
    version: int
    payload: Any = None
    digest: str = ""  # of the content as stored, to tell an unchanged item from a changed one

    @classmethod
    def of(cls, external_id: str, version: int, payload: Any, content: Any) -> Item:
        """An upsert whose ``content`` (plain JSON values) is what its digest is taken of."""
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
        return cls(external_id, version, payload, digest)


@dataclass(frozen=True)
class Outcome:
    """The fate of one item, whatever the kind (each kind's report names ``entity_id`` its own way)."""

    index: int
    external_id: str | None
    status: Status
    entity_id: str | None = None
    version: int | None = None
    errors: list[FieldError] = field(default_factory=list)


class Kind(Protocol):
    """What one kind of listing (offers, candidate profiles) brings to the engine."""

    name: str  # ``SyncItemRow.kind`` and ``ChangeRow.kind``
    gone: str  # "offre supprimée": a listing deleted at the very version pushed again
    conflict: str  # the message when the store refuses the record (a unique key held by another)

    def validate(self, session: Session, partner: Principal, raw: Any) -> Item:
        """The item, or :class:`InvalidInput` naming the field at fault (``session`` only reads)."""
        ...

    def live(self, session: Session, entity_id: str) -> Any | None:
        """The record a listing stands for, None once deleted (by the partner, or someone else meanwhile)."""
        ...

    def refuse(self, session: Session, partner: Principal, item: Item, live: Any | None) -> Refusal | None:
        """Why this upsert may not be applied (or raise :class:`InvalidInput`); None when it may."""
        ...

    def write(self, session: Session, partner: Principal, item: Item, live: Any | None) -> str:
        """Create the record (``live`` None) or update it; returns its id."""
        ...

    def delete(self, session: Session, live: Any) -> None:
        """Delete the live record of a listing the partner deletes."""
        ...

    def error_field(self, name: str) -> str:
        """How a field refused by a write is named in the report."""
        ...


@dataclass(frozen=True)
class Refusal:
    error: FieldError
    entity_id: str | None = None


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


def envelope_version(version: int | None, updated_at: datetime | None) -> int:
    """An envelope's version: given, or its ``updated_at`` in epoch milliseconds."""
    if version is not None:
        return version
    if updated_at is not None:
        return int(updated_at.timestamp() * 1000)
    raise InvalidInput("version", "version ou updated_at est nécessaire pour ordonner les mises à jour")


def invalid(error: ValidationError, prefix: str = "") -> InvalidInput:
    """The first error of a validation, as the field at fault (under ``prefix``) and a French message."""
    first = error.errors()[0]
    return InvalidInput(field_path(first["loc"], prefix=prefix) or prefix or "body", french(first))


def lock_partner(session: Session, partner_id: str) -> None:
    """Serialise one partner's pushes on PostgreSQL (SQLite serialises writers already)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"sync:{partner_id}".encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


class _Batch:
    """One chunk's view of what the partner sent before, and the rules applying an item to it."""

    def __init__(self, session: Session, partner: Principal, kind: Kind) -> None:
        self.session, self.partner, self.kind = session, partner, kind
        self.known: dict[str, SyncItemRow] = {}

    def load(self, external_ids: list[str]) -> None:
        for start in range(0, len(external_ids), 500):
            rows = self.session.scalars(
                select(SyncItemRow).where(
                    SyncItemRow.partner_id == self.partner.subject,
                    SyncItemRow.kind == self.kind.name,
                    SyncItemRow.external_id.in_(external_ids[start : start + 500]),
                )
            )
            self.known.update({r.external_id: r for r in rows})

    def apply(self, item: Item) -> tuple[Status, str | None, FieldError | None]:
        """(status, record id, the error when rejected)."""
        prev = self.known.get(item.external_id)
        if prev is not None and item.version < prev.version:
            message = f"version {item.version} antérieure à la version {prev.version}"
            return Status.REJECTED, prev.entity_id, FieldError(field="version", message=message)
        live = None
        if prev is not None and prev.deleted_at is None and prev.entity_id is not None:
            live = self.kind.live(self.session, prev.entity_id)
        if item.payload is None:
            return self._delete(item, prev, live)
        if prev is not None and item.version == prev.version:
            if prev.deleted_at is not None:
                message = f"{self.kind.gone} à la version {prev.version}"
                return Status.REJECTED, None, FieldError(field="version", message=message)
            if item.digest == prev.content_hash:
                return Status.UNCHANGED, prev.entity_id, None
            message = "même version, contenu différent : incrémentez la version"
            return Status.REJECTED, prev.entity_id, FieldError(field="version", message=message)
        refusal = self.kind.refuse(self.session, self.partner, item, live)
        if refusal is not None:
            return Status.REJECTED, refusal.entity_id, refusal.error
        if prev is not None and live is not None:
            if item.digest == prev.content_hash:
                prev.version = item.version
                return Status.UNCHANGED, prev.entity_id, None
            status = Status.UPDATED
        else:
            status = Status.CREATED
        entity_id = self.kind.write(self.session, self.partner, item, live)
        self.remember(item, prev, entity_id, action=status.value)
        return status, entity_id, None

    def _delete(
        self, item: Item, prev: SyncItemRow | None, live: Any | None
    ) -> tuple[Status, str | None, FieldError | None]:
        if prev is not None and prev.deleted_at is not None:
            prev.version = max(prev.version, item.version)
            return Status.UNCHANGED, None, None
        if prev is None:  # never seen: keep a tombstone so an older upsert arriving late stays dead
            self.remember(item, None, None, action=None)
            return Status.UNCHANGED, None, None
        if live is not None:
            self.kind.delete(self.session, live)
        self.remember(item, prev, prev.entity_id, action=Status.DELETED.value)
        return Status.DELETED, prev.entity_id, None

    def remember(self, item: Item, prev: SyncItemRow | None, entity_id: str | None, *, action: str | None) -> None:
        """Record what the partner last sent; ``action`` (created, updated, deleted) goes to the change feed."""
        now = datetime.now(UTC)
        row = prev or SyncItemRow(partner_id=self.partner.subject, kind=self.kind.name, external_id=item.external_id)
        row.entity_id, row.version, row.content_hash = entity_id, item.version, item.digest
        row.deleted_at = now if item.payload is None else None  # a delete leaves a tombstone
        if prev is None:
            self.session.add(row)
            self.known[item.external_id] = row
        if action is not None:
            record_change(
                self.session,
                partner_id=self.partner.subject,
                kind=self.kind.name,
                external_id=item.external_id,
                entity_id=entity_id,
                action=action,
                version=item.version,
            )


def record_change(
    session: Session, *, partner_id: str, kind: str, external_id: str, entity_id: str | None, action: str, version: int
) -> None:
    """One row of a partner's change feed."""
    session.add(
        ChangeRow(
            partner_id=partner_id,
            kind=kind,
            external_id=external_id,
            entity_id=entity_id,
            action=action,
            version=version,
            at=datetime.now(UTC),
        )
    )


def run_sync(
    store: Store,
    kind: Kind,
    *,
    partner: Principal,
    items: Sequence[Any],
    chunking: Chunking | None = None,
    attempts: int = 3,
    progress: Progress | None = None,
) -> tuple[list[Outcome], int]:
    """Validate a partner's batch, then apply it chunk by chunk: the fate of each item, in order, and the
    cursor of the partner's feed of this kind after it. ``progress`` hears of each chunk committed."""
    chunking = chunking or Chunking()
    with store.read() as session:  # validation reads only: no write lock held meanwhile
        validated: list[Item | InvalidInput] = []
        for raw in items:
            try:
                validated.append(kind.validate(session, partner, raw))
            except InvalidInput as error:
                validated.append(error)
    outcomes: list[Outcome] = []
    sqlite = store.engine.dialect.name == "sqlite"
    if progress:
        progress("synchronisation", 0, len(items))
    while len(outcomes) < len(items):
        if outcomes and sqlite and chunking.pause_s:
            time.sleep(chunking.pause_s)  # writers queued on SQLite's lock poll every 100 ms at most: let them in
        outcomes += _commit_chunk(
            store, kind, partner, items, validated, start=len(outcomes), chunking=chunking, attempts=attempts
        )
        if progress:
            progress("synchronisation", len(outcomes), len(items))
    with store.read() as session:
        cursor = session.scalar(
            select(func.max(ChangeRow.seq)).where(ChangeRow.partner_id == partner.subject, ChangeRow.kind == kind.name)
        )
    return outcomes, cursor or 0


def counts_of(outcomes: Sequence[Outcome]) -> dict[Status, int]:
    counts = {status: 0 for status in Status}
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts


def _commit_chunk(
    store: Store,
    kind: Kind,
    partner: Principal,
    items: Sequence[Any],
    validated: list[Item | InvalidInput],
    *,
    start: int,
    chunking: Chunking,
    attempts: int,
) -> list[Outcome]:
    """Apply items from ``start`` in one transaction, until the chunk's item or time budget is spent.

    A chunk that fails as a whole (a concurrent identical push won a unique key, or the store was
    busy) is rolled back and applied again: it then finds what the other push committed.
    """
    limit = len(items) if chunking.items == 0 else min(len(items), start + chunking.items)
    for attempt in range(attempts):
        try:
            outcomes: list[Outcome] = []
            with store.transaction() as session:
                began = time.monotonic()
                lock_partner(session, partner.subject)
                batch = _Batch(session, partner, kind)
                batch.load(sorted({v.external_id for v in validated[start:limit] if isinstance(v, Item)}))
                for index in range(start, limit):
                    outcomes.append(_apply_one(session, batch, index, items[index], validated[index]))
                    if chunking.items and time.monotonic() - began > chunking.seconds:
                        break
            return outcomes
        except (IntegrityError, OperationalError):
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _apply_one(session: Session, batch: _Batch, index: int, raw: Any, item: Item | InvalidInput) -> Outcome:
    if isinstance(item, InvalidInput):
        external_id = raw.get("external_id") if isinstance(raw, dict) else None
        return Outcome(
            index=index,
            external_id=str(external_id) if external_id is not None else None,
            status=Status.REJECTED,
            errors=[FieldError(field=item.field, message=item.detail)],
        )
    try:
        with session.begin_nested():
            status, entity_id, error = batch.apply(item)
    except InvalidInput as refused:
        field_name = batch.kind.error_field(refused.field)
        return Outcome(
            index=index,
            external_id=item.external_id,
            status=Status.REJECTED,
            errors=[FieldError(field=field_name, message=refused.detail)],
        )
    except (Conflict, IntegrityError):  # a record of the store holds this (source, reference): this item only
        batch.known.pop(item.external_id, None)
        return Outcome(
            index=index,
            external_id=item.external_id,
            status=Status.REJECTED,
            errors=[FieldError(field="external_id", message=batch.kind.conflict)],
        )
    return Outcome(
        index=index,
        external_id=item.external_id,
        status=status,
        entity_id=entity_id,
        version=item.version,
        errors=[error] if error else [],
    )


def feed(session: Session, *, partner_id: str, kind: str, since: int, limit: int) -> tuple[list[ChangeRow], bool]:
    """A page of a partner's change feed of one kind after cursor ``since``, and whether more follow."""
    limit = min(limit, MAX_PAGE)  # pages of at most 200, whoever asks
    rows = session.scalars(
        select(ChangeRow)
        .where(ChangeRow.partner_id == partner_id, ChangeRow.kind == kind, ChangeRow.seq > since)
        .order_by(ChangeRow.seq)
        .limit(limit + 1)
    ).all()
    return list(rows[:limit]), len(rows) > limit


# --- offers --------------------------------------------------------------------------------------


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


def _offer_item(external_id: str, version: int, offer: OfferIn) -> Item:
    return Item.of(external_id, version, offer, columns(offer))


class OfferKind:
    """Offers: envelopes ``{..., "offer"}`` or JobPostings, for the employers the partner acts for."""

    name = KIND
    gone = "offre supprimée"
    conflict = "conflit avec une offre existante"

    def __init__(self, *, taxonomy: Taxonomy, geography: Geography) -> None:
        self.taxonomy, self.geography = taxonomy, geography

    def validate(self, session: Session, partner: Principal, raw: Any) -> Item:
        if not isinstance(raw, dict):
            raise InvalidInput("", "un objet JSON est attendu")
        if is_job_posting(raw):
            return self._posting(session, partner, raw)
        try:
            envelope = Envelope.model_validate(raw)
        except ValidationError as exc:
            raise invalid(exc) from None
        version = envelope_version(envelope.version, envelope.updated_at)
        if envelope.deleted:
            return Item(envelope.external_id, version)
        if envelope.offer is None:
            raise InvalidInput("offer", "l'offre est absente (ou indiquez deleted: true)")
        payload = {**envelope.offer, "source": partner.subject, "external_ref": envelope.external_id}
        try:
            offer = OfferIn.model_validate(payload)
        except ValidationError as exc:
            raise invalid(exc, "offer") from None
        return _offer_item(envelope.external_id, version, offer)

    def _posting(self, session: Session, partner: Principal, raw: dict[str, Any]) -> Item:
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
        offer = offer_from_posting(raw, geography=self.geography, employer_id=employer_id)
        return _offer_item(
            external_id, version, offer.model_copy(update={"source": partner.subject, "external_ref": external_id})
        )

    def live(self, session: Session, entity_id: str) -> OfferRow | None:
        return session.get(OfferRow, entity_id)

    def refuse(self, session: Session, partner: Principal, item: Item, live: Any | None) -> Refusal | None:
        offer: OfferIn = item.payload
        if not partner.may_act_for(offer.employer_id):
            raise InvalidInput("offer.employer_id", f"employeur hors de votre périmètre : {offer.employer_id}")
        return None

    def write(self, session: Session, partner: Principal, item: Item, live: OfferRow | None) -> str:
        offer: OfferIn = item.payload
        if live is None:
            return create_offer(session, data=offer, taxonomy=self.taxonomy, geography=self.geography).id
        if offer.rome_code is None and live.rome_code:
            # A listing that names no occupation keeps the one the offer has: a recruiter may have set it on the
            # offer's page, over what the ranking read. A code the partner sends replaces it.
            offer = offer.model_copy(update={"rome_code": live.rome_code})
        return update_offer(session, offer_id=live.id, data=offer, taxonomy=self.taxonomy, geography=self.geography).id

    def delete(self, session: Session, live: OfferRow) -> None:
        delete_offer(session, offer_id=live.id)

    def error_field(self, name: str) -> str:
        return name


def sync_offers(
    store: Store,
    *,
    partner: Principal,
    items: Sequence[Any],
    taxonomy: Taxonomy,
    geography: Geography,
    chunking: Chunking | None = None,
    attempts: int = 3,
    progress: Progress | None = None,
) -> SyncReport:
    """Validate a partner's batch, then apply it chunk by chunk; returns the fate of each item, in order."""
    kind = OfferKind(geography=geography, taxonomy=taxonomy)
    outcomes, cursor = run_sync(
        store, kind, partner=partner, items=items, chunking=chunking, attempts=attempts, progress=progress
    )
    results = [
        ItemResult(
            index=o.index,
            external_id=o.external_id,
            status=o.status,
            offer_id=o.entity_id,
            version=o.version,
            errors=o.errors,
        )
        for o in outcomes
    ]
    return SyncReport(received=len(items), counts=counts_of(outcomes), cursor=cursor, items=results)


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


def changes(session: Session, *, partner_id: str, since: int, limit: int) -> ChangePage:
    rows, has_more = feed(session, partner_id=partner_id, kind=KIND, since=since, limit=limit)
    page = [
        Change(
            cursor=r.seq, external_id=r.external_id, offer_id=r.entity_id, action=r.action, version=r.version, at=r.at
        )
        for r in rows
    ]
    return ChangePage(changes=page, next_cursor=page[-1].cursor if page else since, has_more=has_more)
