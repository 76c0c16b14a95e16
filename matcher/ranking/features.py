"""Features of an (offer, candidate) pair: the only facts the ranking may weigh.

Features read *views* (what matching needs of an offer or a candidate) built from the stored
records — or, in evaluation, from plain text. No view carries a criterion protected by French
anti-discrimination law (art. 225-1 Code pénal: name, age, sex, origin, address, health, family…):
a candidate's places are their mobility area, never their home. ``tests/unit/test_features.py``
keeps the list closed. Every feature lies in [0, 1], and more is always better for the candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from indices.analysis import analyze
from indices.geo import haversine_km
from matcher.reference.taxonomy import Taxonomy

FEATURES = (
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
)

FEATURE_LABELS = {
    "semantic": "Proximité sémantique du profil et de l'offre",
    "lexical": "Mots-clés de l'offre présents dans le profil",
    "title_match": "Intitulé du poste proche du métier recherché",
    "same_occupation": "Même métier (ROME)",
    "neighbour_occupation": "Métier proche (mobilité ROME)",
    "same_domain": "Même domaine professionnel (ROME)",
    "required_skills": "Compétences attendues présentes",
    "desired_skills": "Compétences appréciées présentes",
    "experience": "Expérience suffisante",
    "contract": "Type de contrat accepté",
    "category": "Niveau de diplôme adapté à la catégorie (A, B, C)",
    "proximity": "Lieu de travail au cœur de la zone de mobilité",
    "availability": "Disponibilité",
}

# Weight of an occupation guess by its rank: a given code or first guess counts fully, later guesses less.
# Ten gently decaying guesses did best in 2-fold cross-validation on the train split (3: 0.512, 10: 0.519,
# 20: 0.518 NDCG@10), since a wrong first guess is often followed by the right one.
GUESS_WEIGHT = (1.0, 0.8, 0.65, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1)
# Usual diploma level for each category of the fonction publique (concours externes).
CATEGORY_LEVEL = {"A": 6, "B": 4, "C": 0}
AVAILABILITY_GRACE = timedelta(days=30)
AVAILABILITY_FADE_DAYS = 90


@dataclass(frozen=True)
class OfferView:
    title: str
    text: str
    occupations: tuple[str, ...]  # the ROME code, or guesses from the title, best first
    occupation_source: str  # "offre" | "déduit de l'intitulé" | "inconnu"
    required_skills: tuple[str, ...]
    desired_skills: tuple[str, ...]
    skills_source: str  # "offre" | "texte de l'offre" | "métier ROME" | "aucune"
    experience_years: float
    contract_types: frozenset[str]
    category: str | None
    place: tuple[float, float] | None

    @property
    def occupation(self) -> str | None:
        return self.occupations[0] if self.occupations else None

    @property
    def title_terms(self) -> frozenset[str]:
        return frozenset(analyze(self.title))


@dataclass(frozen=True)
class CandidateView:
    id: str
    title: str
    text: str
    occupations: tuple[str, ...]
    title_terms: frozenset[str]  # of the wanted job and past jobs
    skills: frozenset[str]
    experience_years: float
    contract_types: frozenset[str]
    education_level: int | None  # 0 (no diploma) … 8 (doctorate)
    places: tuple[tuple[float, float], ...]
    radius_km: float | None
    available_from: date | None


@dataclass(frozen=True)
class PairFacts:
    """Feature values and the facts behind them, for explanations."""

    values: dict[str, float]
    occupation_relation: str
    matched_skills: list[str]
    missing_skills: list[str]
    distance_km: float | None
    contract_overlap: list[str]


def _coverage(wanted: Sequence[str], have: frozenset[str]) -> tuple[float, list[str], list[str]]:
    if not wanted:
        return 0.0, [], []
    matched = [s for s in wanted if s in have]
    return len(matched) / len(wanted), matched, [s for s in wanted if s not in have]


def _occupation_match(guesses: Sequence[str], wanted: Sequence[str], taxonomy: Taxonomy) -> tuple[float, float, float]:
    """(same, neighbour, same domain) in [0, 1]: 1 for the offer's code or first guess, less for later guesses."""
    same = neighbour = domain = 0.0
    for rank, guess in enumerate(guesses[: len(GUESS_WEIGHT)]):
        weight = GUESS_WEIGHT[rank]
        for code in wanted:
            relation = taxonomy.relation(guess, code)
            if relation == "same":
                same = max(same, weight)
            elif relation == "neighbour":
                neighbour = max(neighbour, weight)
            if guess[:3] == code[:3]:
                domain = max(domain, weight)
    return same, neighbour, domain


def pair_facts(
    offer: OfferView, candidate: CandidateView, *, cosine: float, lexical: float, taxonomy: Taxonomy, today: date
) -> PairFacts:
    """Facts for one pair; ``lexical`` is the BM25 score already scaled to [0, 1] within the result list."""
    same, neighbour, domain = _occupation_match(offer.occupations, candidate.occupations, taxonomy)
    relation = "same" if same == 1.0 else "neighbour" if neighbour == 1.0 else "domain" if domain else "none"
    if relation == "none" and same:
        relation = "same"  # a lower-ranked guess
    wanted = offer.title_terms
    title_match = len(wanted & candidate.title_terms) / len(wanted) if wanted else 0.0
    required, matched_required, missing_required = _coverage(offer.required_skills, candidate.skills)
    desired, matched_desired, missing_desired = _coverage(offer.desired_skills, candidate.skills)
    distance = None
    if offer.place and candidate.places:
        lats, lons = zip(*candidate.places, strict=True)
        distance = float(np.min(haversine_km(offer.place[0], offer.place[1], lats, lons)))
    proximity = 0.5  # unknown place on either side: neutral
    if distance is not None and candidate.radius_km:
        proximity = max(0.0, 1.0 - distance / candidate.radius_km)
    overlap = sorted(offer.contract_types & candidate.contract_types)
    wanted_years = offer.experience_years
    experience = 1.0 if wanted_years <= 0 else min(1.0, candidate.experience_years / wanted_years)
    category = 1.0
    if offer.category is not None and candidate.education_level is not None:
        category = 1.0 if candidate.education_level >= CATEGORY_LEVEL[offer.category] else 0.0
    availability = 1.0
    if candidate.available_from is not None and candidate.available_from > today + AVAILABILITY_GRACE:
        late = (candidate.available_from - today - AVAILABILITY_GRACE).days
        availability = max(0.0, 1.0 - late / AVAILABILITY_FADE_DAYS)
    values = {
        "semantic": max(0.0, min(1.0, cosine)),
        "lexical": max(0.0, min(1.0, lexical)),
        "title_match": title_match,
        "same_occupation": same,
        "neighbour_occupation": neighbour,
        "same_domain": domain,
        "required_skills": required,
        "desired_skills": desired,
        "experience": experience,
        "contract": 1.0 if overlap or not offer.contract_types else 0.0,
        "category": category,
        "proximity": proximity,
        "availability": availability,
    }
    return PairFacts(
        values, relation, matched_required + matched_desired, missing_required + missing_desired, distance, overlap
    )
