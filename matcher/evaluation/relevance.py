"""How good are shortlists on the demo data, against code-derived labels.

A shortlisted candidate counts as relevant when the occupation their profile was generated from
is the offer's ROME occupation or one of its ROME mobility neighbours. These labels come from
codes, not from recruiters' decisions: the figure measures agreement with ROME, nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from matcher.core.records import get_candidates, offer_from_row
from matcher.ranking.pipeline import shortlist_for
from matcher.store.tables import OfferRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime


@dataclass(frozen=True)
class RelevanceReport:
    offers: int
    offers_with_candidates: int
    mean_shortlist_size: float
    relevant_share: float  # micro average over every shortlisted place
    mean_relevant_share: float  # macro average over offers with at least one candidate
    exact_share: float  # same ROME code only


def shortlist_relevance(
    rt: Runtime, *, k: int = 10, hide_offer_rome: bool = False, progress: Callable[[str, int, int], None] | None = None
) -> RelevanceReport:
    """Share of top-``k`` shortlisted candidates whose code-derived occupation matches the offer's.

    With ``hide_offer_rome`` the ranking does not see the offer's ROME code: it is inferred from the
    title (still judged against the true code).
    """
    with rt.store.read() as session:
        offers = [
            offer_from_row(r)
            for r in session.scalars(select(OfferRow).where(OfferRow.rome_code.is_not(None)).order_by(OfferRow.id))
        ]
    places = relevant = exact = with_candidates = 0
    per_offer: list[float] = []
    for number, offer in enumerate(offers, start=1):
        truth = offer.rome_code
        assert truth is not None
        shortlist = shortlist_for(rt, offer=offer, size=k, hide_occupation=hide_offer_rome)
        with rt.store.read() as session:
            candidates = get_candidates(session, candidate_ids=[e.candidate_id for e in shortlist.entries])
        labels = [candidates[e.candidate_id].desired_occupations[0] for e in shortlist.entries]
        good = [label == truth or rt.taxonomy.relation(truth, label) == "neighbour" for label in labels]
        places += len(labels)
        relevant += sum(good)
        exact += sum(label == truth for label in labels)
        if labels:
            with_candidates += 1
            per_offer.append(sum(good) / len(labels))
        if progress and number % 50 == 0:
            progress("évaluation", number, len(offers))
    return RelevanceReport(
        offers=len(offers),
        offers_with_candidates=with_candidates,
        mean_shortlist_size=places / len(offers) if offers else 0.0,
        relevant_share=relevant / places if places else 0.0,
        mean_relevant_share=sum(per_offer) / len(per_offer) if per_offer else 0.0,
        exact_share=exact / places if places else 0.0,
    )
