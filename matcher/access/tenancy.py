"""Object-level authorisation: what a principal may see of offers, candidates and shortlists.

Something a caller may not see does not exist for them: they get the same NotFound as for an
unknown id, so ids of other tenants cannot be probed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

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


def open_to_employers(row: CandidateRow) -> bool:
    """Recruiters may find and see a profile only while it is open to employers with a recorded, dated consent."""
    return open_to_employers_state(row.visibility, row.consented_at)


def open_to_employers_state(visibility: str, consented_at: datetime | None) -> bool:
    """:func:`open_to_employers` on the two columns alone (reads that skip the rest of the row)."""
    return visibility == Visibility.EMPLOYERS.value and consented_at is not None


def visible_candidate_row(session: Session, principal: Principal, candidate_id: str) -> CandidateRow:
    """A profile as a recruiter may see it: only when opened to employers with recorded consent."""
    row = session.get(CandidateRow, candidate_id)
    if row is None:
        raise NotFound("candidat", candidate_id)
    if principal.role is Role.ADMIN or (principal.role is Role.SEEKER and principal.candidate_id == row.id):
        return row
    if principal.role is Role.RECRUITER and open_to_employers(row):
        return row
    raise NotFound("candidat", candidate_id)


def own_candidate_id(principal: Principal) -> str:
    """A job seeker's own profile id (NotFound until they have created one)."""
    if principal.candidate_id is None:
        raise NotFound("profil", "me")
    return principal.candidate_id
