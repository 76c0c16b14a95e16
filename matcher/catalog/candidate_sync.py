"""Bulk sync of the candidate profiles a partner agency brings, with the consent each person gave.

The sync engine of offers (:mod:`matcher.catalog.sync`), with :class:`CandidateKind` as its adapter:
envelopes ``{"external_id", "version" | "updated_at", "deleted", "consent", "profile"}``, idempotent by
(partner, external id) and version, per-item results, tombstones, chunked transactions and a change
feed. What is the profiles' own:

- every profile carries the proof of the person's consent (date, channel, scope: all public
  employers or named ones, duration); a profile without it, or with an expired one, is refused
  with the field named; a partner-brought profile is open from the consent date to every employer,
  or to the named ones only (:mod:`matcher.access.tenancy`);
- a partner sees and changes only the profiles it brought (everything is keyed by the partner);
- a consent's duration running out closes the profile: reads check it at once, and the periodic
  job :func:`expire_consents` takes the profile out of shortlists and the index and tells the
  partner (``expired`` in the change feed); a new version with a new consent renews it;
- a person erased for good stays erased: a replayed push is refused (the tombstone keys on the
  partner and its external id);
- a person can take their profile over with a one-time code the partner asks for and hands them;
  from then on the person's choices win: the partner's updates are refused, its delete only
  ends its own link, and it no longer reads the profile.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher.access import tenancy
from matcher.access.accounts import Principal, Role
from matcher.catalog.candidates import create_candidate, delete_candidate, update_candidate
from matcher.catalog.sync import (
    MAX_VERSION,
    Chunking,
    ExternalId,
    FieldError,
    Item,
    Refusal,
    Status,
    counts_of,
    envelope_version,
    feed,
    invalid,
    parse_body,
    record_change,
    run_sync,
)
from matcher.core.erasure import is_erased
from matcher.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from matcher.core.models import Candidate, CandidateIn, Strict, Visibility
from matcher.core.outbox import enqueue
from matcher.core.progress import Progress
from matcher.core.records import candidate_from_row, columns
from matcher.governance.privacy import withdraw_from_shortlists
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import Taxonomy
from matcher.store.db import Store
from matcher.store.tables import AccountRow, CandidateRow, SyncItemRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

KIND = "candidate"
EXPIRED = "expired"  # the change feed's action when a consent runs out
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
    consent_expires_on: date = Field(description="Fin du consentement : le profil n'est plus montré dès ce jour")
    shown: bool = Field(
        description="Montré aux employeurs en ce moment (à tous, ou à ceux que nomme le consentement) ; "
        "faux une fois le consentement expiré : renouvelez-le par une nouvelle version"
    )


class LinkCode(BaseModel):
    code: str = Field(description="À remettre à la personne ; affiché une seule fois")
    expires_at: datetime


def _validate(raw: Any) -> Item:
    if not isinstance(raw, dict):
        raise InvalidInput("", "un objet JSON est attendu")
    try:
        envelope = CandidateEnvelope.model_validate(raw)
    except ValidationError as exc:
        raise invalid(exc) from None
    version = envelope_version(envelope.version, envelope.updated_at)
    if envelope.deleted:
        return Item(envelope.external_id, version)
    if envelope.profile is None:
        raise InvalidInput("profile", "le profil est absent (ou indiquez deleted: true)")
    if envelope.consent is None:
        raise InvalidInput("consent", "preuve du consentement manquante : date, canal, portée et durée")
    try:
        consent = ConsentProof.model_validate(envelope.consent)
    except ValidationError as exc:
        raise invalid(exc, "consent") from None
    if consent.expires_on <= datetime.now(UTC).date():
        raise InvalidInput("consent.duration_days", f"consentement expiré le {consent.expires_on:%d/%m/%Y}")
    # Open to every public employer only on a consent that says so; on one naming employers the profile stays
    # private and the stored consent opens it to those employers alone (matcher.access.tenancy).
    visibility = Visibility.EMPLOYERS if consent.scope is ConsentScope.ALL_PUBLIC_EMPLOYERS else Visibility.PRIVATE
    try:
        profile = CandidateIn.model_validate({**envelope.profile, "visibility": visibility.value})
    except ValidationError as exc:
        raise invalid(exc, "profile") from None
    content = {"profile": columns(profile), "consent": columns(consent)}
    return Item.of(envelope.external_id, version, Brought(profile, consent), content)


@dataclass(frozen=True)
class Brought:
    """What a partner sends of one person: their profile and their consent."""

    profile: CandidateIn
    consent: ConsentProof


class CandidateKind:
    """Candidate profiles: each with its consent; an erased person or a profile taken over is refused."""

    name = KIND
    gone = "profil supprimé"
    conflict = "conflit avec un profil existant"

    def __init__(self, *, taxonomy: Taxonomy, geography: Geography) -> None:
        self.taxonomy, self.geography = taxonomy, geography

    def validate(self, session: Session, partner: Principal, raw: Any) -> Item:
        return _validate(raw)

    def live(self, session: Session, entity_id: str) -> CandidateRow | None:
        return session.get(CandidateRow, entity_id)

    def refuse(self, session: Session, partner: Principal, item: Item, live: CandidateRow | None) -> Refusal | None:
        if is_erased(session, kind=KIND, source=partner.subject, external_ref=item.external_id):
            return Refusal(FieldError(field="external_id", message=ERASED))
        if live is not None and live.owner_account_id is not None:
            return Refusal(FieldError(field="external_id", message=TAKEN_OVER), live.id)
        return None

    def write(self, session: Session, partner: Principal, item: Item, live: CandidateRow | None) -> str:
        brought: Brought = item.payload
        consent = columns(brought.consent)
        if live is None:
            candidate_id = create_candidate(
                session,
                data=brought.profile,
                taxonomy=self.taxonomy,
                geography=self.geography,
                partner_consent=consent,
            ).id
        else:
            candidate_id = update_candidate(
                session,
                candidate_id=live.id,
                data=brought.profile,
                taxonomy=self.taxonomy,
                geography=self.geography,
                partner_consent=consent,
            ).id
        row = session.get(CandidateRow, candidate_id)
        assert row is not None
        row.source, row.external_ref = partner.subject, item.external_id
        row.consented_at = datetime.combine(brought.consent.given_at, datetime.min.time(), tzinfo=UTC)
        return candidate_id

    def delete(self, session: Session, live: CandidateRow) -> None:
        if live.owner_account_id is None:  # taken over: the person's profile stays
            delete_candidate(session, candidate_id=live.id)

    def error_field(self, name: str) -> str:
        return name if name.startswith(("profile", "consent")) else f"profile.{name}"


def sync_candidates(
    store: Store,
    *,
    partner: Principal,
    items: Sequence[Any],
    taxonomy: Taxonomy,
    geography: Geography,
    chunking: Chunking | None = None,
    attempts: int = 3,
    progress: Progress | None = None,
) -> CandidateSyncReport:
    """Validate a partner's profiles, then apply them chunk by chunk; the fate of each, in order."""
    kind = CandidateKind(taxonomy=taxonomy, geography=geography)
    outcomes, cursor = run_sync(
        store, kind, partner=partner, items=items, chunking=chunking, attempts=attempts, progress=progress
    )
    results = [
        CandidateItemResult(
            index=o.index,
            external_id=o.external_id,
            status=o.status,
            candidate_id=o.entity_id,
            version=o.version,
            errors=o.errors,
        )
        for o in outcomes
    ]
    return CandidateSyncReport(received=len(items), counts=counts_of(outcomes), cursor=cursor, items=results)


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
    with rt.store.read() as session:
        rows, has_more = feed(session, partner_id=partner.subject, kind=KIND, since=since, limit=limit)
        page = [
            CandidateChange(
                cursor=r.seq,
                external_id=r.external_id,
                candidate_id=r.entity_id,
                action=r.action,
                version=r.version,
                at=r.at,
            )
            for r in rows
        ]
    return CandidateChangePage(changes=page, next_cursor=page[-1].cursor if page else since, has_more=has_more)


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
        consent = ConsentProof.model_validate(row.partner_consent)
        return PartnerCandidate(
            external_id=external_id,
            version=item.version,
            candidate=candidate_from_row(row),
            consent=consent,
            consent_expires_on=consent.expires_on,
            shown=bool(tenancy.audience(row)),
        )


def expire_consents(rt: Runtime, *, now: datetime | None = None) -> dict[str, int]:
    """Close the profiles whose partner-recorded consent ran out (the periodic job; reads check it already).

    Each loses its consent date (so nobody finds it until a new consent), leaves the shortlists nobody has
    acted on yet and the index, and its partner reads ``expired`` in the change feed. The profile itself
    stays: the partner renews it by pushing a new version with a new consent, or the person, once they
    took it over, by opening it again. Idempotent: a closed profile is not looked at again.
    """
    now = now or datetime.now(UTC)
    with rt.store.transaction() as session:
        stated = session.execute(
            select(CandidateRow.id, CandidateRow.partner_consent).where(
                CandidateRow.partner_consent.is_not(None), CandidateRow.consented_at.is_not(None)
            )
        )
        ended = [cid for cid, consent in stated if (expiry := tenancy.consent_expiry(consent)) and expiry <= now]
        for row in session.scalars(select(CandidateRow).where(CandidateRow.id.in_(ended))):
            withdraw_from_shortlists(session, row.id)
            row.consented_at = None
            row.version += 1
            row.updated_at = now
            enqueue(session, topic="candidate", entity_id=row.id, version=row.version, action="upsert")
            item = session.get(SyncItemRow, (row.source, KIND, row.external_ref or ""))
            if row.owner_account_id is None and item is not None and item.deleted_at is None:
                record_change(
                    session,
                    partner_id=row.source,
                    kind=KIND,
                    external_id=item.external_id,
                    entity_id=row.id,
                    action=EXPIRED,
                    version=item.version,
                )
    return {"expired": len(ended)}


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
