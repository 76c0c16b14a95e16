"""Protected criteria never reach the ranking (art. 225-1 Code pénal)."""

import re
from datetime import date

import pytest

from indices.geo import haversine_km
from matcher.core.models import CandidateIn
from matcher.ranking.features import FEATURE_LABELS, FEATURES, CandidateView, OfferView, facts_of
from matcher.ranking.scorer import DEFAULT_WEIGHTS, LinearScorer
from matcher.reference.taxonomy import Taxonomy
from matcher.runtime import Runtime

PROTECTED = re.compile(
    r"origin|sex|gender|genre|age|birth|naissance|famil|pregnan|grossesse|appearance|apparence|vulnerab|surname|"
    r"nom|name|address|adresse|residence|domicile|health|sante|handicap|disab|genetic|moeurs|moral|orientation|"
    r"identit|politic|opinion|union|syndic|relig|nationalit|ethni|photo",
    re.IGNORECASE,
)


def test_no_feature_names_a_protected_criterion() -> None:
    for name in FEATURES:
        assert not PROTECTED.search(name), name
    assert set(FEATURE_LABELS) == set(FEATURES) == set(DEFAULT_WEIGHTS)


def test_the_feature_list_is_closed() -> None:
    # Adding a feature is a decision to review against art. 225-1: this test must then change too.
    assert FEATURES == (
        "semantic",
        "lexical",
        "title_match",
        "same_occupation",
        "neighbour_occupation",
        "same_domain",
        "required_skills",
        "desired_skills",
        "experience",
        "contract",
        "category",
        "proximity",
        "availability",
        "retrieval",
        "retrieval_unsure",
    )


def test_views_carry_no_protected_attribute() -> None:
    from dataclasses import fields

    from matcher.ranking.features import CandidateView, OfferView

    for view in (CandidateView, OfferView):
        for item in fields(view):
            assert not PROTECTED.search(item.name), f"{view.__name__}.{item.name}"


def test_candidate_display_name_is_not_in_the_indexed_text() -> None:
    from matcher.core.settings import REPO_ROOT
    from matcher.indexing.documents import candidate_text

    candidate = CandidateIn(
        display_name="Fatima Dupont",
        title="Jardinier",
        contract_types=["cdd"],
        mobility={"communes": ["69123"], "radius_km": 10},
    )
    assert "Fatima" not in candidate_text(candidate, Taxonomy(REPO_ROOT / "data" / "rome"))  # type: ignore[arg-type]


def test_linear_contributions_add_up_to_the_score() -> None:
    scorer = LinearScorer()
    rows = [{f: (i + 1) / (j + 3) for i, f in enumerate(FEATURES)} for j in range(5)]
    for row, (score, contributions) in zip(rows, scorer.score(rows), strict=True):
        assert abs(sum(contributions.values()) - score) < 1e-12
        assert contributions["semantic"] == DEFAULT_WEIGHTS["semantic"] * row["semantic"]
    assert sum(DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)


def test_a_lists_distances_are_each_pairs_nearest_place(rt: Runtime) -> None:
    """facts_of measures every pair's distance in one pass: the same as one pair at a time, place by place."""
    offer = OfferView(
        title="Agent d'accueil",
        text="Agent d'accueil",
        occupations=(),
        occupation_source="inconnu",
        required_skills=(),
        desired_skills=(),
        skills_source="aucune",
        experience_years=0,
        contract_types=frozenset(),
        category=None,
        place=(48.8566, 2.3522),
    )
    homes = [((45.76, 4.83), (48.80, 2.13)), (), ((43.30, 5.37),), ((50.63, 3.06), (47.22, -1.55), (48.86, 2.35))]
    candidates = [
        CandidateView(
            id=f"c{i}",
            title="",
            text="",
            occupations=(),
            title_terms=frozenset(),
            skills=frozenset(),
            experience_years=0,
            contract_types=frozenset(),
            education_level=None,
            places=places,
            radius_km=30,
            available_from=None,
        )
        for i, places in enumerate(homes)
    ]
    facts = facts_of([(offer, c, 0.5, 0.5) for c in candidates], taxonomy=rt.taxonomy, today=date(2026, 1, 5))
    expected = [
        min(float(haversine_km(48.8566, 2.3522, [lat], [lon])[0]) for lat, lon in places) if places else None
        for places in homes
    ]
    assert [f.distance_km for f in facts] == expected
    assert facts[1].values["proximity"] == 0.5 and facts[3].values["proximity"] > 0.98
