"""Offers as use cases: who sees which offers and employers, and where a new offer says it comes from."""

from __future__ import annotations

import pytest

from matcher.access.accounts import Principal, Role
from matcher.catalog.offers import add_offer, change_status, offer_for, offer_listing, public_offer_search
from matcher.catalog.search import SearchFilters
from matcher.core.errors import InvalidInput, NotFound
from matcher.core.models import OfferStatus
from matcher.runtime import Runtime
from matcher.store.tables import OfferRow
from tests.factories import count, employer, offer_in


def recruiter(*employer_ids: str) -> Principal:
    return Principal(role=Role.RECRUITER, subject="acc_rh", employer_ids=frozenset(employer_ids))


def test_listings_follow_who_asks(rt: Runtime) -> None:
    mine, theirs = employer(rt), employer(rt)
    draft = add_offer(rt, principal=recruiter(mine), data=offer_in(mine, status="draft"))
    published = add_offer(rt, principal=recruiter(theirs), data=offer_in(theirs, status="draft"))
    change_status(rt, principal=recruiter(theirs), offer_id=published.id, status=OfferStatus.PUBLISHED)

    public = offer_listing(rt, principal=None)
    assert [o.id for o in public.items] == [published.id] and public.total == 1
    assert set(public.employers) == {mine, theirs}
    own = offer_listing(rt, principal=recruiter(mine))
    assert [o.id for o in own.items] == [draft.id] and set(own.employers) == {mine}
    seeker = offer_listing(rt, principal=Principal(role=Role.SEEKER, subject="acc_s"))
    assert [o.id for o in seeker.items] == [published.id]
    with pytest.raises(NotFound):
        offer_for(rt, principal=recruiter(theirs), offer_id=draft.id)


def test_a_recruiters_offer_is_direct_and_only_for_their_employers(rt: Runtime) -> None:
    mine, theirs = employer(rt), employer(rt)
    offer = add_offer(rt, principal=recruiter(mine), data=offer_in(mine, source="someone-else"))
    assert offer.source == "direct"
    with pytest.raises(InvalidInput) as refused:
        add_offer(rt, principal=recruiter(mine), data=offer_in(theirs))
    assert refused.value.field == "employer_id"
    assert count(rt, OfferRow) == 1


def test_the_public_board_refuses_a_domain_rome_does_not_have(rt: Runtime) -> None:
    with pytest.raises(InvalidInput) as refused:
        public_offer_search(rt, query="", filters=SearchFilters(), domain="Z9", limit=10, offset=0)
    assert refused.value.field == "domain"


def test_a_work_context_is_refused_among_an_offers_skills(rt: Runtime) -> None:
    mine = employer(rt)
    # "Travail de nuit" is a ROME work context: a condition of the job, not a skill a candidate has or misses.
    with pytest.raises(InvalidInput) as refused:
        add_offer(rt, principal=recruiter(mine), data=offer_in(mine, desired_skills=["100063", "300803"]))
    assert refused.value.field == "desired_skills.1" and "contexte de travail" in str(refused.value)
    assert count(rt, OfferRow) == 0
