"""What the ranking reads of an offer stored in the past: only what the service compares today."""

from __future__ import annotations

from matcher.ranking.views import offer_view
from matcher.runtime import Runtime
from tests.factories import offer_in

NIGHT_WORK = "300803"  # ROME's work context "Travail de nuit"


def test_a_work_context_stored_among_an_offers_skills_is_not_read_as_a_skill(rt: Runtime) -> None:
    """Refused on write since 30 November 2026; an offer stored before may still hold one, and a page would list it
    among the skills a candidate misses."""
    assert rt.taxonomy.skills[NIGHT_WORK].is_context
    mixed = offer_view(
        offer_in("e1", required_skills=[NIGHT_WORK, "100063"], desired_skills=[NIGHT_WORK]),
        taxonomy=rt.taxonomy,
        geography=rt.geography,
    )
    assert (mixed.required_skills, mixed.desired_skills, mixed.skills_source) == (("100063",), (), "offre")
    alone = offer_view(offer_in("e1", required_skills=[NIGHT_WORK]), taxonomy=rt.taxonomy, geography=rt.geography)
    assert alone.required_skills == tuple(rt.taxonomy.core_skills("A1203")) and NIGHT_WORK not in alone.required_skills
