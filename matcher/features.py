"""Features of an (offer, candidate) pair: the only facts the ranking may weigh.

Nothing here reads a criterion protected by French anti-discrimination law (name, age, sex,
address, health…): a candidate's places are their mobility area, and a test keeps this list
closed (``tests/unit/test_features.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from matcher.domain import Candidate, Offer
from matcher.geo import Geography
from matcher.taxonomy import Taxonomy

FEATURES = ("semantic", "lexical", "occupation", "skills", "proximity", "contract")

FEATURE_LABELS = {
    "semantic": "Proximité sémantique du profil et de l'offre",
    "lexical": "Mots-clés de l'offre présents dans le profil",
    "occupation": "Métier (ROME) identique ou proche",
    "skills": "Compétences attendues présentes",
    "proximity": "Lieu de travail au cœur de la zone de mobilité",
    "contract": "Type de contrat accepté",
}

OCCUPATION_RELATION = {"same": 1.0, "neighbour": 0.6, "domain": 0.3, "none": 0.0}


@dataclass(frozen=True)
class PairFacts:
    """Feature values (each in [0, 1]) and the facts that explain them."""

    values: dict[str, float]
    occupation_relation: str
    matched_skills: list[str]
    missing_skills: list[str]
    skills_source: str  # "offre" or "métier ROME"
    distance_km: float | None
    contract_overlap: list[str]


def expected_skills(offer: Offer, taxonomy: Taxonomy) -> tuple[list[str], str]:
    """Skills the offer asks for; when it lists none, the core skills of its ROME occupation."""
    listed = list(dict.fromkeys(offer.required_skills + offer.desired_skills))
    if listed:
        return listed, "offre"
    if offer.rome_code:
        return taxonomy.core_skills(offer.rome_code), "métier ROME"
    return [], "aucune"


def pair_facts(
    offer: Offer,
    candidate: Candidate,
    *,
    cosine: float,
    lexical: float,
    taxonomy: Taxonomy,
    geography: Geography,
    offer_skills: tuple[list[str], str] | None = None,
) -> PairFacts:
    """Facts for one pair; ``lexical`` is the BM25 score already scaled to [0, 1] within the result list."""
    relation = max(
        (taxonomy.relation(offer.rome_code, code) for code in candidate.desired_occupations),
        key=lambda r: OCCUPATION_RELATION[r],
        default="none",
    )
    skills, source = offer_skills or expected_skills(offer, taxonomy)
    have = set(candidate.skills)
    matched = [s for s in skills if s in have]
    missing = [s for s in skills if s not in have]
    workplace = geography.get(offer.commune_insee)
    distances = [
        geography.distance_km(workplace, place)
        for code in candidate.mobility.communes
        if workplace and (place := geography.get(code))
    ]
    distance = min(distances) if distances else None
    radius = candidate.mobility.radius_km
    overlap = sorted({c.value for c in offer.contract_types} & {c.value for c in candidate.contract_types})
    values = {
        "semantic": max(0.0, min(1.0, cosine)),
        "lexical": max(0.0, min(1.0, lexical)),
        "occupation": OCCUPATION_RELATION[relation],
        "skills": len(matched) / len(skills) if skills else 0.0,
        "proximity": max(0.0, 1.0 - distance / radius) if distance is not None else 0.0,
        "contract": 1.0 if overlap else 0.0,
    }
    return PairFacts(values, relation, matched, missing, source, distance, overlap)
