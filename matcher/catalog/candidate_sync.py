"""Bulk sync of the candidate profiles a partner agency brings, with the consent each person gave.

The same semantics as offers (:mod:`matcher.catalog.sync`, whose pieces this reuses): envelopes
``{"external_id", "version" | "updated_at", "deleted", "consent", "profile"}``, idempotent by
(partner, external id) and version, per-item results, tombstones, chunked transactions and a
change feed. On top of that:

- every profile carries the proof of the person's consent (date, channel, scope: all public
  employers or named ones, duration); a profile without it, or with an expired one, is refused
  with the field named, and a partner-brought profile is open to employers from the consent date;
- a partner sees and changes only the profiles it brought (everything is keyed by the partner);
- a person erased for good stays erased: a replayed push is refused (the tombstone keys on the
  partner and its external id);
- a person can take their profile over with a one-time code the partner asks for and hands them;
  from then on the person's choices win: the partner's updates are refused, its delete only
  ends its own link, and it no longer reads the profile.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from matcher.access.accounts import Principal, Role
from matcher.catalog.candidates import create_candidate, delete_candidate, update_candidate
from matcher.catalog.sync import (
    MAX_VERSION,
    Chunking,
    ExternalId,
    FieldError,
    Status,
    _lock_partner,
    parse_body,
)
from matcher.core.erasure import is_erased
from matcher.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from matcher.core.messages import field_path, french
from matcher.core.models import MAX_PAGE, Candidate, CandidateIn, Strict, Visibility
from matcher.core.records import candidate_from_row, columns
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import Taxonomy
from matcher.store.db import Store
from matcher.store.tables import AccountRow, CandidateRow, ChangeRow, SyncItemRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

KIND = "candidate"
LINK_CODE_HOURS = 72
MAX_CONSENT_DAYS = 730  # two years, as long as the talent pool keeps anyone
TAKEN_OVER = "profil repris par la personne elle-même : ses choix priment, il n'est plus modifiable par le partenaire"
ERASED = "personne effacée à sa demande ou au terme de la conservation : ne renvoyez plus ce profil"


class ConsentChannel(StrEnum):
    IN_PERSON = "in_person"  # signed during an interview
    PAPER = "paper"
    ONLINE = "online"
    EMAIL = "email"
    PHONE = "phone"


class ConsentScope(StrEnum):
    ALL_PUBLIC_EMPLOYERS = "all_public_employers"
    EMPLOYERS = "employers"  # only the employers named in employer_ids


class ConsentProof(Strict):
    """What the person agreed to, as the partner recorded it."""

    given_at: date = Field(description="Date du consentement")
    channel: ConsentChannel
    scope: ConsentScope
    employer_ids: list[ExternalId] = Field(default_factory=list, max_length=200)
    duration_days: int = Field(ge=1, le=MAX_CONSENT_DAYS, description="Durée de validité, en jours")
    reference: ExternalId | None = Field(default=None, description="Référence du justificatif chez le partenaire")

    @field_validator("given_at")
    @classmethod
    def _not_in_the_future(cls, given_at: date) -> date:
        if given_at > datetime.now(UTC).date():
            raise ValueError("la date du consentement est dans le futur")
        return given_at

    @model_validator(mode="after")
    def _named_employers(self) -> ConsentProof:
        if self.scope is ConsentScope.EMPLOYERS and not self.employer_ids:
            raise ValueError("employer_ids : nommez les employeurs auxquels la personne accepte d'être présentée")
        return self

    @property
    def expires_on(self) -> date:
        return self.given_at + timedelta(days=self.duration_days)


class CandidateEnvelope(Strict):
    external_id: ExternalId
    version: int | None = Field(default=None, ge=0, le=MAX_VERSION)
    updated_at: datetime | None = None
    deleted: bool = False
    consent: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None


class CandidateItemResult(BaseModel):
    index: int
    external_id: str | None
    status: Status
    candidate_id: str | None = None
    version: int | None = None
    errors: list[FieldError] = Field(default_factory=list)


class CandidateSyncReport(BaseModel):
    received: int
    counts: dict[Status, int]
    cursor: int = Field(description="Curseur du flux de changements après cette synchronisation")
    items: list[CandidateItemResult]


class CandidateChange(BaseModel):
    cursor: int
    external_id: str
    candidate_id: str | None
    action: str
    version: int
    at: datetime


class CandidateChangePage(BaseModel):
    changes: list[CandidateChange]
    next_cursor: int
    has_more: bool


class PartnerCandidate(BaseModel):
    """A profile as the partner that brought it reads it back."""

    external_id: str
    version: int
    candidate: Candidate
    consent: ConsentProof


class LinkCode(BaseModel):
    code: str = Field(description="À remettre à la personne ; affiché une seule fois")
    expires_at: datetime


class _Item:
    def __init__(
        self, external_id: str, version: int, profile: CandidateIn | None, consent: ConsentProof | None
    ) -> None:
        self.external_id, self.version, self.profile, self.consent = external_id, version, profile, consent
        content = {"profile": columns(profile), "consent": columns(consent)} if profile and consent else None
        self.digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest() if content else ""


def _invalid(error: ValidationError, prefix: str) -> InvalidInput:
    first = error.errors()[0]
    return InvalidInput(field_path(first["loc"], prefix=prefix) or prefix or "body", french(first))


def _validate(raw: Any) -> _Item:
    if not isinstance(raw, dict):
        raise InvalidInput("", "un objet JSON est attendu")
    try:
        envelope = CandidateEnvelope.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc, "") from None
    if envelope.version is not None:
        version = envelope.version
    elif envelope.updated_at is not None:
        version = int(envelope.updated_at.timestamp() * 1000)
    else:
        raise InvalidInput("version", "version ou updated_at est nécessaire pour ordonner les mises à jour")
    if envelope.deleted:
        return _Item(envelope.external_id, version, None, None)
    if envelope.profile is None:
        raise InvalidInput("profile", "le profil est absent (ou indiquez deleted: true)")
    if envelope.consent is None:
        raise InvalidInput("consent", "preuve du consentement manquante : date, canal, portée et durée")
    try:
        consent = ConsentProof.model_validate(envelope.consent)
    except ValidationError as exc:
        raise _invalid(exc, "consent") from None
    if consent.expires_on <= datetime.now(UTC).date():
        raise InvalidInput("consent.duration_days", f"consentement expiré le {consent.expires_on:%d/%m/%Y}")
    # Open to every public employer only on a consent that says so. A consent naming some employers keeps the
    # profile out of every employer's sight: visibility per named employer does not exist yet, and showing it
    # to all would go beyond what the person agreed to.
    visibility = Visibility.EMPLOYERS if consent.scope is ConsentScope.ALL_PUBLIC_EMPLOYERS else Visibility.PRIVATE
    try:
        profile = CandidateIn.model_validate({**envelope.profile, "visibility": visibility.value})
    except ValidationError as exc:
        raise _invalid(exc, "profile") from None
    return _Item(envelope.external_id, version, profile, consent)


class _Batch:
    def __init__(self, session: Session, partner: Principal, taxonomy: Taxonomy, geography: Geography) -> None:
        self.session, self.partner, self.taxonomy, self.geography = session, partner, taxonomy, geography
        self.known: dict[str, SyncItemRow] = {}

    def load(self, external_ids: list[str]) -> None:
        for start in range(0, len(external_ids), 500):
            rows = self.session.scalars(
                select(SyncItemRow).where(
                    SyncItemRow.partner_id == self.partner.subject,
                    SyncItemRow.kind == KIND,
                    SyncItemRow.external_id.in_(external_ids[start : start + 500]),
                )
            )
            self.known.update({r.external_id: r for r in rows})

    def apply(self, item: _Item) -> tuple[Status, str | None, FieldError | None]:
        prev = self.known.get(item.external_id)
        if prev is not None and item.version < prev.version:
            message = f"version {item.version} antérieure à la version {prev.version}"
            return Status.REJECTED, prev.entity_id, FieldError(field="version", message=message)
        live = self._live(prev)
        if item.profile is None or item.consent is None:
            return self._delete(item, prev, live)
        if prev is not None and item.version == prev.version:
            if prev.deleted_at is not None:
                message = f"profil supprimé à la version {prev.version}"
                return Status.REJECTED, None, FieldError(field="version", message=message)
            if item.digest == prev.content_hash:
                return Status.UNCHANGED, prev.entity_id, None
            message = "même version, contenu différent : incrémentez la version"
            return Status.REJECTED, prev.entity_id, FieldError(field="version", message=message)
        if is_erased(self.session, kind=KIND, source=self.partner.subject, external_ref=item.external_id):
            return Status.REJECTED, None, FieldError(field="external_id", message=ERASED)
        if live is not None and live.owner_account_id is not None:
            return Status.REJECTED, live.id, FieldError(field="external_id", message=TAKEN_OVER)
        if live is not None and prev is not None:
            if item.digest == prev.content_hash:
                prev.version = item.version
                return Status.UNCHANGED, live.id, None
            update_candidate(
                self.session, candidate_id=live.id, data=item.profile, taxonomy=self.taxonomy, geography=self.geography
            )
            status, candidate_id = Status.UPDATED, live.id
        else:
            candidate_id = create_candidate(
                self.session, data=item.profile, taxonomy=self.taxonomy, geography=self.geography
            ).id
            status = Status.CREATED
        row = self.session.get(CandidateRow, candidate_id)
        assert row is not None
        row.source, row.external_ref = self.partner.subject, item.external_id
        row.partner_consent = columns(item.consent)
        row.consented_at = datetime.combine(item.consent.given_at, datetime.min.time(), tzinfo=UTC)
        self._remember(item, prev, candidate_id, action=status.value)
        return status, candidate_id, None

    def _live(self, prev: SyncItemRow | None) -> CandidateRow | None:
        if prev is None or prev.deleted_at is not None or prev.entity_id is None:
            return None
        return self.session.get(CandidateRow, prev.entity_id)

    def _delete(
        self, item: _Item, prev: SyncItemRow | None, live: CandidateRow | None
    ) -> tuple[Status, str | None, FieldError | None]:
        if prev is not None and prev.deleted_at is not None:
            prev.version = max(prev.version, item.version)
            return Status.UNCHANGED, None, None
        if prev is None:  # never seen: a tombstone, so an older upsert arriving late stays out
            self._remember(item, None, None, action=None)
            return Status.UNCHANGED, None, None
        if live is not None and live.owner_account_id is None:  # taken over: the person's profile stays
            delete_candidate(self.session, candidate_id=live.id)
        self._remember(item, prev, prev.entity_id, action=Status.DELETED.value)
        return Status.DELETED, prev.entity_id, None

    def _remember(self, item: _Item, prev: SyncItemRow | None, entity_id: str | None, *, action: str | None) -> None:
        now = datetime.now(UTC)
        row = prev or SyncItemRow(partner_id=self.partner.subject, kind=KIND, external_id=item.external_id)
        row.entity_id, row.version, row.content_hash = entity_id, item.version, item.digest
        row.deleted_at = now if item.profile is None else None
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


def sync_candidates(
    store: Store,
    *,
    partner: Principal,
    items: list[Any],
    taxonomy: Taxonomy,
    geography: Geography,
    chunking: Chunking | None = None,
    attempts: int = 3,
) -> CandidateSyncReport:
    """Validate a partner's profiles, then apply them chunk by chunk; the fate of each, in order."""
    chunking = chunking or Chunking()
    validated: list[_Item | InvalidInput] = []
    for raw in items:
        try:
            validated.append(_validate(raw))
        except InvalidInput as error:
            validated.append(error)
    results: list[CandidateItemResult] = []
    sqlite = store.engine.dialect.name == "sqlite"
    while len(results) < len(items):
        if results and sqlite and chunking.pause_s:
            time.sleep(chunking.pause_s)
        results += _commit_chunk(
            store, partner, items, validated, start=len(results), chunking=chunking, taxonomy=taxonomy,
            geography=geography, attempts=attempts,
        )  # fmt: skip
    with store.read() as session:
        cursor = (
            session.scalar(
                select(func.max(ChangeRow.seq)).where(ChangeRow.partner_id == partner.subject, ChangeRow.kind == KIND)
            )
            or 0
        )
    counts = {status: 0 for status in Status}
    for result in results:
        counts[result.status] += 1
    return CandidateSyncReport(received=len(items), counts=counts, cursor=cursor, items=results)


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
) -> list[CandidateItemResult]:
    """One transaction from ``start`` until the chunk's budget is spent; replayed whole if it fails."""
    limit = len(items) if chunking.items == 0 else min(len(items), start + chunking.items)
    for attempt in range(attempts):
        try:
            results: list[CandidateItemResult] = []
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


def _apply_one(
    session: Session, batch: _Batch, index: int, raw: Any, item: _Item | InvalidInput
) -> CandidateItemResult:
    if isinstance(item, InvalidInput):
        external_id = raw.get("external_id") if isinstance(raw, dict) else None
        return CandidateItemResult(
            index=index,
            external_id=str(external_id) if external_id is not None else None,
            status=Status.REJECTED,
            errors=[FieldError(field=item.field, message=item.detail)],
        )
    try:
        with session.begin_nested():
            status, candidate_id, error = batch.apply(item)
    except InvalidInput as invalid:
        field = invalid.field if invalid.field.startswith(("profile", "consent")) else f"profile.{invalid.field}"
        return CandidateItemResult(
            index=index,
            external_id=item.external_id,
            status=Status.REJECTED,
            errors=[FieldError(field=field, message=invalid.detail)],
        )
    except (Conflict, IntegrityError):
        batch.known.pop(item.external_id, None)
        return CandidateItemResult(
            index=index,
            external_id=item.external_id,
            status=Status.REJECTED,
            errors=[FieldError(field="external_id", message="conflit avec un profil existant")],
        )
    return CandidateItemResult(
        index=index,
        external_id=item.external_id,
        status=status,
        candidate_id=candidate_id,
        version=item.version,
        errors=[error] if error else [],
    )


# --- use cases ----------------------------------------------------------------------------------


def _partner(principal: Principal) -> None:
    if principal.role is not Role.PARTNER:
        raise Forbidden("réservé aux partenaires")


def push(rt: Runtime, *, partner: Principal, body: bytes, content_type: str) -> CandidateSyncReport:
    """The partner candidate sync use case: read the body, apply it in chunks."""
    _partner(partner)
    items = parse_body(body, content_type, noun="profils")
    return sync_candidates(
        rt.store,
        partner=partner,
        items=items,
        taxonomy=rt.taxonomy,
        geography=rt.geography,
        chunking=Chunking.of(rt),
    )


def changes_since(rt: Runtime, *, partner: Principal, since: int, limit: int) -> CandidateChangePage:
    """What changed in the partner's profiles after cursor ``since`` (erasures included, as deletions)."""
    _partner(partner)
    limit = min(limit, MAX_PAGE)
    with rt.store.read() as session:
        rows = session.scalars(
            select(ChangeRow)
            .where(ChangeRow.partner_id == partner.subject, ChangeRow.kind == KIND, ChangeRow.seq > since)
            .order_by(ChangeRow.seq)
            .limit(limit + 1)
        ).all()
        page = [
            CandidateChange(
                cursor=r.seq,
                external_id=r.external_id,
                candidate_id=r.entity_id,
                action=r.action,
                version=r.version,
                at=r.at,
            )
            for r in rows[:limit]
        ]
    return CandidateChangePage(changes=page, next_cursor=page[-1].cursor if page else since, has_more=len(rows) > limit)


def _brought(session: Session, partner: Principal, external_id: str) -> tuple[SyncItemRow, CandidateRow]:
    """The live profile this partner brought under ``external_id``, still its own (else NotFound)."""
    item = session.get(SyncItemRow, (partner.subject, KIND, external_id))
    row = session.get(CandidateRow, item.entity_id) if item and item.entity_id and not item.deleted_at else None
    if item is None or row is None or row.owner_account_id is not None:
        raise NotFound("profil", external_id)
    return item, row


def brought_profile(rt: Runtime, *, partner: Principal, external_id: str) -> PartnerCandidate:
    """A profile the partner brought, as it stands (NotFound for any other, or once the person took it over)."""
    _partner(partner)
    with rt.store.read() as session:
        item, row = _brought(session, partner, external_id)
        return PartnerCandidate(
            external_id=external_id,
            version=item.version,
            candidate=candidate_from_row(row),
            consent=ConsentProof.model_validate(row.partner_consent),
        )


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def issue_link_code(rt: Runtime, *, partner: Principal, external_id: str) -> LinkCode:
    """A one-time code the partner gives the person, so that they can take the profile over (72 h)."""
    _partner(partner)
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    code = "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
    expires_at = datetime.now(UTC) + timedelta(hours=LINK_CODE_HOURS)
    with rt.store.transaction() as session:
        _, row = _brought(session, partner, external_id)
        row.link_code_hash, row.link_code_expires_at = _hash(code), expires_at  # a new code replaces the last
    return LinkCode(code=code, expires_at=expires_at)


def take_over(rt: Runtime, *, principal: Principal, code: str) -> Candidate:
    """A job seeker's account takes over the profile a partner brought; from now on their choices win."""
    if principal.role is not Role.SEEKER:
        raise Forbidden("réservé aux candidats")
    if principal.candidate_id is not None:
        raise Conflict("votre compte a déjà un profil", field="code")
    with rt.store.transaction() as session:
        row = session.scalar(select(CandidateRow).where(CandidateRow.link_code_hash == _hash(code)))
        expires = row.link_code_expires_at if row else None
        if row is None or expires is None or expires <= datetime.now(UTC) or row.owner_account_id is not None:
            raise InvalidInput("code", "code inconnu, déjà utilisé ou expiré : demandez-en un nouveau au partenaire")
        linked = session.execute(
            update(AccountRow)
            .where(AccountRow.id == principal.subject, AccountRow.candidate_id.is_(None))
            .values(candidate_id=row.id)
            .execution_options(synchronize_session=False)
        )
        if getattr(linked, "rowcount", 0) != 1:
            raise Conflict("votre compte a déjà un profil", field="code")
        row.owner_account_id = principal.subject
        row.link_code_hash = row.link_code_expires_at = None
        row.last_contact_at = datetime.now(UTC)
        session.flush()
        return candidate_from_row(row)
