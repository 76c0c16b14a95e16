"""Object-level authorisation: what a principal may see of offers, candidates and shortlists.

Something a caller may not see does not exist for them: they get the same NotFound as for an
unknown id, so ids of other tenants cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from indices.protocol import Terms
from matcher.access.accounts import Principal, Role
from matcher.core.errors import NotFound
from matcher.core.models import Visibility
from matcher.store.tables import CandidateRow, OfferRow


def offer_row(session: Session, principal: Principal, offer_id: str) -> OfferRow:
    """The offer if the principal acts for its employer (admins: any; seekers: published ones only)."""
    row = session.get(OfferRow, offer_id)
    if row is None or not _may_see_offer(principal, row):
        raise NotFound("offre", offer_id)
    return row


def _may_see_offer(principal: Principal, row: OfferRow) -> bool:
    if principal.role is Role.SEEKER:
        return row.status == "published"
    return principal.may_act_for(row.employer_id)


def published_offers_query() -> Select[OfferRow]:
    """What anyone may see, signed in or not: published offers."""
    return select(OfferRow).where(OfferRow.status == "published")


def offers_query(principal: Principal) -> Select[OfferRow]:
    query = select(OfferRow)
    if principal.role is Role.SEEKER:
        return published_offers_query()
    if principal.role is not Role.ADMIN:
        query = query.where(OfferRow.employer_id.in_(sorted(principal.employer_ids)))
    return query


# --- who may find a profile ------------------------------------------------------------------------
#
# A profile's audience: every public employer (the person opened it to employers), the employers a
# partner-recorded consent names, or nobody. It lasts while the consent is dated and, for a profile a
# partner brought, until the consent's duration runs out. Index documents carry it as keywords, so a
# search filters on the searcher's keys; reads check it again on the store, which may be ahead.

EVERY_EMPLOYER = Visibility.EMPLOYERS.value


def employer_key(employer_id: str) -> str:
    """The audience key of one employer named by a consent."""
    return f"employer:{employer_id}"


def seen_by(employer_ids: Iterable[str] = ()) -> tuple[str, ...]:
    """The audience keys a recruiter of ``employer_ids`` matches: every employer's, and each of theirs."""
    return (EVERY_EMPLOYER, *sorted(employer_key(e) for e in employer_ids))


def audience_filter(employer_ids: Iterable[str] = ()) -> Terms:
    """The search filter keeping the profiles recruiters of ``employer_ids`` may find."""
    return Terms("visibility", seen_by(employer_ids))


def consent_expiry(partner_consent: Mapping[str, Any] | None) -> datetime | None:
    """When a partner-recorded consent runs out (None: no partner consent, no end date)."""
    if not partner_consent:
        return None
    ends = date.fromisoformat(str(partner_consent["given_at"])) + timedelta(days=int(partner_consent["duration_days"]))
    return datetime.combine(ends, time.min, tzinfo=UTC)


def named_employers(partner_consent: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The employers a partner-recorded consent names (none when it covers every public employer)."""
    if not partner_consent or partner_consent.get("scope") != "employers":
        return ()
    return tuple(sorted(str(e) for e in partner_consent.get("employer_ids") or ()))


def reach_state(
    visibility: str, consented_at: datetime | None, partner_consent: Mapping[str, Any] | None = None
) -> tuple[str, ...]:
    """Whom a profile's consents open it to, as audience keys, their end date aside (empty: nobody)."""
    if consented_at is None:
        return ()
    if visibility == EVERY_EMPLOYER:
        return (EVERY_EMPLOYER,)
    return tuple(employer_key(e) for e in named_employers(partner_consent))


def audience_state(
    visibility: str,
    consented_at: datetime | None,
    partner_consent: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> tuple[str, ...]:
    """Who may find a profile now, as audience keys (empty: nobody), from the columns that decide it."""
    expiry = consent_expiry(partner_consent)
    if expiry is not None and expiry <= (now or datetime.now(UTC)):
        return ()
    return reach_state(visibility, consented_at, partner_consent)


def reach(row: CandidateRow) -> tuple[str, ...]:
    """:func:`reach_state` of a stored profile."""
    return reach_state(row.visibility, row.consented_at, row.partner_consent)


def audience(row: CandidateRow, *, now: datetime | None = None) -> tuple[str, ...]:
    """:func:`audience_state` of a stored profile."""
    return audience_state(row.visibility, row.consented_at, row.partner_consent, now=now)


def open_to_employers(row: CandidateRow, employer_ids: Iterable[str] = ()) -> bool:
    """Recruiters may find and see a profile only while it is open, with a recorded, dated and unexpired consent,
    to every employer, or to one of ``employer_ids`` by name."""
    return open_to_employers_state(row.visibility, row.consented_at, row.partner_consent, employer_ids)


def open_to_employers_state(
    visibility: str,
    consented_at: datetime | None,
    partner_consent: Mapping[str, Any] | None = None,
    employer_ids: Iterable[str] = (),
) -> bool:
    """:func:`open_to_employers` on the columns alone (reads that skip the rest of the row)."""
    return not set(audience_state(visibility, consented_at, partner_consent)).isdisjoint(seen_by(employer_ids))


def visible_candidate_row(session: Session, principal: Principal, candidate_id: str) -> CandidateRow:
    """A profile as a recruiter may see it: only when open to employers (or to one of theirs) with recorded consent."""
    row = session.get(CandidateRow, candidate_id)
    if row is None:
        raise NotFound("candidat", candidate_id)
    if principal.role is Role.ADMIN or (principal.role is Role.SEEKER and principal.candidate_id == row.id):
        return row
    if principal.role is Role.RECRUITER and open_to_employers(row, principal.employer_ids):
        return row
    raise NotFound("candidat", candidate_id)


def own_candidate_id(principal: Principal) -> str:
    """A job seeker's own profile id (NotFound until they have created one)."""
    if principal.candidate_id is None:
        raise NotFound("profil", "me")
    return principal.candidate_id
