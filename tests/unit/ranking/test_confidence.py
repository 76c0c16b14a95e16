"""Structured features carry their confidence; retrieval is a feature, weighed more where structure is unsure."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from matcher.core.settings import REPO_ROOT
from matcher.ranking.features import CandidateView, OfferView, facts_of, pair_facts, retrieval_scores
from matcher.reference.taxonomy import Taxonomy

TAXONOMY = Taxonomy(REPO_ROOT / "data" / "rome")
TODAY = date(2026, 1, 5)

OFFER = OfferView(
    title="Jardinier",
    text="Jardinier. Entretien des espaces verts.",
    occupations=("A1203",),
    occupation_source="offre",
    required_skills=("100063",),
    desired_skills=(),
    skills_source="offre",
    experience_years=0,
    contract_types=frozenset(),
    category=None,
    place=None,
    occupation_confidences=(1.0,),
)
CANDIDATE = CandidateView(
    id="c1",
    title="Jardinier",
    text="Jardinier",
    occupations=("A1203",),
    title_terms=frozenset(),
    skills=frozenset({"100063"}),
    experience_years=3,
    contract_types=frozenset(),
    education_level=None,
    places=(),
    radius_km=None,
    available_from=None,
)


def facts(offer: OfferView, retrieval: float = 1.0) -> dict[str, float]:
    return pair_facts(
        offer, CANDIDATE, cosine=0.5, lexical=0.5, retrieval=retrieval, taxonomy=TAXONOMY, today=TODAY
    ).values


def test_an_unsure_inferred_occupation_does_not_weigh_like_a_given_code() -> None:
    unsure = replace(
        OFFER,
        occupations=("A1203", "A1202"),
        occupation_source="déduit de l'intitulé",
        occupation_confidences=(0.2, 0.1),
        skills_source="métier ROME",
        skills_confidence=0.2,
    )
    given, inferred = facts(OFFER), facts(unsure)
    assert given["same_occupation"] == 1.0 and inferred["same_occupation"] == pytest.approx(0.2)
    assert inferred["required_skills"] == pytest.approx(0.2) and given["required_skills"] == 1.0


def test_an_occupation_of_the_same_rome_sheet_counts_as_near() -> None:
    """An offer read as "Chef d'équipe paysagiste" (A1211), a candidate who keeps green spaces (A1203): one ROME
    sheet, no mobility link between them."""
    lead = replace(
        OFFER,
        occupations=("A1211", "M1203"),
        occupation_source="déduit de l'intitulé",
        occupation_confidences=(0.6, 0.1),
        required_skills=(),
    )
    worker = replace(CANDIDATE, occupations=("A1203",))
    found = pair_facts(lead, worker, cosine=0.5, lexical=0.5, retrieval=1.0, taxonomy=TAXONOMY, today=TODAY)
    assert found.values["same_occupation"] == 0.0
    assert found.values["neighbour_occupation"] == pytest.approx(0.6)
    assert found.occupation_relation == "neighbour"
    unrelated = replace(worker, occupations=("K1201",))
    other = pair_facts(lead, unrelated, cosine=0.5, lexical=0.5, retrieval=1.0, taxonomy=TAXONOMY, today=TODAY)
    assert other.values["neighbour_occupation"] == 0.0


def test_retrieval_counts_more_where_structure_is_unsure() -> None:
    assert facts(OFFER)["retrieval_unsure"] == 0.0  # both occupations given: structure is sure
    none = replace(OFFER, occupations=(), occupation_confidences=(), occupation_source="inconnu")
    assert facts(none, retrieval=0.8)["retrieval_unsure"] == pytest.approx(0.8)
    assert facts(none, retrieval=0.8)["same_occupation"] == 0.0


def test_retrieval_scores_fuse_ranks_within_the_list() -> None:
    scores = retrieval_scores([0.9, 0.5, 0.1], [3.0, 2.0, 1.0])
    assert scores[0] == 1.0 and scores[-1] == 0.0 and scores[0] > scores[1] > scores[2]
    assert retrieval_scores([], []) == []
    tied = retrieval_scores([0.9, 0.5, 0.5, 0.1], [3.0, 2.0, 2.0, 1.0])  # equal scores, equal ranks: whatever the order
    assert tied[1] == tied[2] and tied[0] > tied[1] > tied[3]
    pairs = [(OFFER, CANDIDATE, 0.9, 1.0), (OFFER, replace(CANDIDATE, id="c2"), 0.1, 0.0)]
    first, second = facts_of(pairs, taxonomy=TAXONOMY, today=TODAY)
    assert first.values["retrieval"] == 1.0 and second.values["retrieval"] == 0.0
