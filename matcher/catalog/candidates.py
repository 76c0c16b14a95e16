"""Candidate profiles: validated writes with their consent dates and outbox rows, reads and lists.

A withdrawal of consent also takes the person out of shortlists nobody has acted on yet.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.access import tenancy
from matcher.access.accounts import Principal, Role
from matcher.catalog.employers import list_employers
from matcher.catalog.validation import check_commune, check_rome, check_skills
from matcher.core.erasure import ensure_not_erased
from matcher.core.errors import Conflict, Forbidden, NotFound
from matcher.core.models import (
    MAX_PAGE,
    Candidate,
    CandidateIn,
    Visibility,
)
from matcher.core.outbox import enqueue, new_id
from matcher.core.records import candidate_from_row, candidate_row, columns
from matcher.governance.privacy import withdraw_from_shortlists
from matcher.ranking.pipeline import Matches, matches_for
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import Taxonomy
from matcher.store.tables import AccountRow, CandidateRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

PROFILE_EXISTS = "vous avez déjà un profil : modifiez-le avec PUT /me/profile"


def check_candidate(data: CandidateIn, *, taxonomy: Taxonomy, geography: Geography) -> None:
    for position, insee in enumerate(data.mobility.communes):
        check_commune(geography, f"mobility.communes.{position}", insee)
    for position, code in enumerate(data.desired_occupations):
        check_rome(taxonomy, f"desired_occupations.{position}", code)
    for position, experience in enumerate(data.experiences):
        check_rome(taxonomy, f"experiences.{position}.rome_code", experience.rome_code)
    check_skills(taxonomy, "skills", data.skills)


def _consent(session: Session, row: CandidateRow, data: CandidateIn, now: datetime, reached: Set[str]) -> None:
    """Record when a candidate opened their profile to employers (to all of them, or to those a partner-recorded
    consent names) and joined the talent pool; forget it when they close it. Employers whose sight the profile
    leaves (``reached`` is whom it was open to before) lose it from the shortlists nobody has acted on yet."""
    opened = data.visibility == Visibility.EMPLOYERS or bool(tenancy.named_employers(row.partner_consent))
    if opened and row.consented_at is None:
        row.consented_at = now
    elif not opened:
        row.consented_at = None
    after = set(tenancy.reach(row))
    if reached - after and tenancy.EVERY_EMPLOYER not in after:
        withdraw_from_shortlists(session, row.id, still_seen_by=tenancy.named_employers(row.partner_consent))
    if data.talent_pool is not None:  # None: unchanged
        row.talent_pool_consented_at = (row.talent_pool_consented_at or now) if data.talent_pool else None
    row.last_contact_at = now  # an edit by the candidate restarts the retention clock


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # update_candidate: the partner-recorded consent stays as it is


def _candidate_columns(data: CandidateIn) -> dict[str, Any]:
    values = columns(data)
    values.pop("talent_pool", None)  # a consent, stored as its date
    return values


def create_candidate(
    session: Session,
    *,
    data: CandidateIn,
    taxonomy: Taxonomy,
    geography: Geography,
    candidate_id: str | None = None,
    owner_account_id: str | None = None,
    partner_consent: dict[str, Any] | None = None,
) -> Candidate:
    """A new profile; ``partner_consent``: the consent a partner recorded for the person it brings."""
    if candidate_id is not None:
        ensure_not_erased(session, kind="candidate", entity_id=candidate_id)
    check_candidate(data, taxonomy=taxonomy, geography=geography)
    row = CandidateRow(
        id=candidate_id or new_id("cand"),
        version=1,
        consented_at=None,
        owner_account_id=owner_account_id,
        **_candidate_columns(data),
    )
    if partner_consent is not None:  # left unset otherwise: SQL NULL, not a JSON null
        row.partner_consent = partner_consent
    _consent(session, row, data, datetime.now(UTC), set())
    session.add(row)
    session.flush()
    enqueue(session, topic="candidate", entity_id=row.id, version=row.version, action="upsert")
    return candidate_from_row(row)


def _create_own_profile(rt: Runtime, *, account_id: str, data: CandidateIn) -> Candidate:
    """A job seeker's profile, created and linked to their account in one transaction.

    Both ends of the link are unique in the database (``candidates.owner_account_id``,
    ``accounts.candidate_id``) and the link is set only while the account has none, so concurrent
    creates for one account leave exactly one profile: the others raise :class:`Conflict` and write
    nothing.
    """
    try:
        with rt.store.transaction() as session:
            account = session.get(AccountRow, account_id)
            if account is None:
                raise NotFound("compte", account_id)
            if account.candidate_id is not None:
                raise Conflict(PROFILE_EXISTS)
            candidate = create_candidate(
                session, data=data, taxonomy=rt.taxonomy, geography=rt.geography, owner_account_id=account_id
            )
            linked = session.execute(
                update(AccountRow)
                .where(AccountRow.id == account_id, AccountRow.candidate_id.is_(None))
                .values(candidate_id=candidate.id)
                .execution_options(synchronize_session=False)
            )
            if getattr(linked, "rowcount", 0) != 1:  # another create linked its profile first
                raise Conflict(PROFILE_EXISTS)
    except IntegrityError:  # a concurrent create holds the owner or the link: the database refused this one
        raise Conflict(PROFILE_EXISTS) from None
    return candidate


def update_candidate(
    session: Session,
    *,
    candidate_id: str,
    data: CandidateIn,
    taxonomy: Taxonomy,
    geography: Geography,
    partner_consent: dict[str, Any] | _Keep | None = KEEP,
) -> Candidate:
    """A profile rewritten; ``partner_consent``: a partner's new record of the person's consent, or None once
    the person's own choices replace it."""
    ensure_not_erased(session, kind="candidate", entity_id=candidate_id)
    row = candidate_row(session, candidate_id)
    check_candidate(data, taxonomy=taxonomy, geography=geography)
    reached = set(tenancy.reach(row))
    for column, value in _candidate_columns(data).items():
        setattr(row, column, value)
    if partner_consent is not KEEP:
        row.partner_consent = partner_consent
    now = datetime.now(UTC)
    _consent(session, row, data, now, reached)
    row.version += 1
    row.updated_at = now
    session.flush()
    enqueue(session, topic="candidate", entity_id=row.id, version=row.version, action="upsert")
    return candidate_from_row(row)


def delete_candidate(session: Session, *, candidate_id: str) -> None:
    row = candidate_row(session, candidate_id)
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


# --- use cases: each owns its unit of work and checks what the principal may see (the edges call these) ---


def _admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise Forbidden("réservé à l'administration")


def list_profiles(
    rt: Runtime, *, principal: Principal, visibility: Visibility | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Candidate], int]:
    """Every profile, a page at a time (administration)."""
    _admin(principal)
    with rt.store.read() as session:
        return list_candidates(session, visibility=visibility, limit=limit, offset=offset)


def import_profile(rt: Runtime, *, principal: Principal, data: CandidateIn) -> Candidate:
    """A profile imported by the administration (job seekers create theirs with :func:`save_own_profile`)."""
    _admin(principal)
    with rt.store.transaction() as session:
        return create_candidate(session, data=data, taxonomy=rt.taxonomy, geography=rt.geography)


def correct_profile(rt: Runtime, *, principal: Principal, candidate_id: str, data: CandidateIn) -> Candidate:
    """A profile rectified by the administration."""
    _admin(principal)
    with rt.store.transaction() as session:
        return update_candidate(
            session, candidate_id=candidate_id, data=data, taxonomy=rt.taxonomy, geography=rt.geography
        )


def profile_for(rt: Runtime, *, principal: Principal, candidate_id: str) -> Candidate:
    """A profile as the principal may see it (recruiters: only while open to employers with consent)."""
    with rt.store.read() as session:
        return candidate_from_row(tenancy.visible_candidate_row(session, principal, candidate_id))


def own_profile(rt: Runtime, *, principal: Principal) -> Candidate:
    """The job seeker's own profile (NotFound until they have created one)."""
    candidate_id = tenancy.own_candidate_id(principal)
    with rt.store.read() as session:
        return candidate_from_row(candidate_row(session, candidate_id))


@dataclass(frozen=True)
class OwnProfile:
    """A job seeker's profile with whether they joined the talent pool (stored as a consent date)."""

    candidate: Candidate
    talent_pool: bool


def own_profile_with_consents(rt: Runtime, *, principal: Principal) -> OwnProfile | None:
    """The job seeker's profile and talent-pool consent, None while they have no profile."""
    if principal.candidate_id is None:
        return None
    with rt.store.read() as session:
        row = candidate_row(session, principal.candidate_id)
        return OwnProfile(candidate_from_row(row), row.talent_pool_consented_at is not None)


@dataclass(frozen=True)
class OwnMatches:
    """A job seeker's matched offers, with their profile and the names of the employers behind the offers."""

    matches: Matches
    candidate: Candidate
    employers: dict[str, str]  # employer id -> name


def own_matches(rt: Runtime, *, principal: Principal, size: int | None = None) -> OwnMatches:
    """The signed-in job seeker's matches page (NotFound until they have a profile)."""
    candidate_id = tenancy.own_candidate_id(principal)
    found = matches_for(rt, principal=principal, size=size)
    behind = {e.employer_id for e in found.entries}
    with rt.store.read() as session:
        return OwnMatches(
            matches=found,
            candidate=candidate_from_row(candidate_row(session, candidate_id)),
            employers={e.id: e.name for e in list_employers(session) if e.id in behind},
        )


def save_own_profile(
    rt: Runtime, *, principal: Principal, data: CandidateIn, only: Literal["create", "update"] | None = None
) -> Candidate:
    """The job seeker's own profile saved (API and pages): created and linked to their account while they have
    none, rectified (profile, visibility, consents) once they have one.

    Args:
        only: ``"create"`` refuses a seeker who already has a profile, ``"update"`` one who has none
            (``POST`` and ``PUT /me/profile``); None does whichever applies (the pages' single form).

    Raises:
        Conflict: a profile exists already (creating), or a concurrent create linked one first.
        NotFound: no profile to update.
        InvalidInput: a reference (commune, occupation, skill) that does not exist.
    """
    if (only or ("create" if principal.candidate_id is None else "update")) == "create":
        return _create_own_profile(rt, account_id=principal.subject, data=data)
    candidate_id = tenancy.own_candidate_id(principal)
    with rt.store.transaction() as session:  # their choices replace what a partner recorded for them
        return update_candidate(
            session,
            candidate_id=candidate_id,
            data=data,
            taxonomy=rt.taxonomy,
            geography=rt.geography,
            partner_consent=None,
        )
