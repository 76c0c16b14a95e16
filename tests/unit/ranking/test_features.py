"""Protected criteria never reach the ranking (art. 225-1 Code pénal)."""

import re

import pytest

from matcher.core.models import CandidateIn
from matcher.ranking.features import FEATURE_LABELS, FEATURES
from matcher.ranking.scorer import DEFAULT_WEIGHTS, LinearScorer

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
    from matcher.reference.taxonomy import Taxonomy

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
