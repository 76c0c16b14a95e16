"""Features of an (offer, candidate) pair: the only facts the ranking may weigh.

Features read *views* (what matching needs of an offer or a candidate) built from the stored
records — or, in evaluation, from plain text. No view carries a criterion protected by French
anti-discrimination law (art. 225-1 Code pénal: name, age, sex, origin, address, health, family…):
a candidate's places are their mobility area, never their home. ``tests/unit/test_features.py``
keeps the list closed. Every feature lies in [0, 1], and more is always better for the candidate.

Structured features carry their confidence: an occupation given by the offer counts fully, one
inferred from its text counts by the classifier's probability, and skills drawn from an inferred
occupation count by that same probability. The retrieval itself is a feature (``retrieval``: the
pair's reciprocal-rank fusion of its BM25 and cosine ranks within the list), and again weighted by
how unsure the structured side is (``retrieval_unsure``), so a model can lean on retrieval exactly
where the structured signals are absent or doubtful — still one additive term per feature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from types import EllipsisType

import numpy as np
import numpy.typing as npt

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
    "retrieval",
    "retrieval_unsure",
)

FEATURE_LABELS = {
    "semantic": "Proximité sémantique du profil et de l'offre",
    "lexical": "Mots-clés de l'offre présents dans le profil",
    "title_match": "Intitulé du poste proche du métier recherché",
    "same_occupation": "Même métier (ROME)",
    "neighbour_occupation": "Métier proche (même fiche ROME ou mobilité)",
    "same_domain": "Même domaine professionnel (ROME)",
    "required_skills": "Compétences attendues présentes",
    "desired_skills": "Compétences appréciées présentes",
    "experience": "Expérience suffisante",
    "contract": "Type de contrat accepté",
    "category": "Niveau de diplôme adapté à la catégorie (A, B, C)",
    "proximity": "Lieu de travail au cœur de la zone de mobilité",
    "availability": "Disponibilité",
    "retrieval": "Rang dans la recherche (mots-clés et sens)",
    "retrieval_unsure": "Rang dans la recherche, quand le métier ou les compétences sont incertains",
}

# Occupation guesses read per offer or candidate: their confidences weigh them.
GUESSES = 10
# A pair's occupation relation is named on a page from this probability: below it the occupation classifier
# itself would not name a guess (its abstention threshold is about 0.3), though the features still weigh it.
NAMED_AT = 0.3
RRF_K = 60  # as the hybrid retrieval fuses its lists
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
    # Probability that each occupation is the offer's (1.0 for a given code); required skills drawn from an
    # inferred occupation are as sure as it is.
    occupation_confidences: tuple[float, ...] = ()
    skills_confidence: float = 1.0

    @property
    def occupation(self) -> str | None:
        return self.occupations[0] if self.occupations else None

    @cached_property
    def title_terms(self) -> frozenset[str]:
        # Kept on the view (views are kept by offer version): analysed once, not at every ranking.
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
    occupation_confidences: tuple[float, ...] = ()  # 1.0 for occupations the candidate gave


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


def confidences_of(codes: Sequence[str], confidences: Sequence[float]) -> Sequence[float]:
    """The confidence of each occupation of a view: 1.0 each unless the view keeps one per occupation."""
    return confidences if len(confidences) == len(codes) else [1.0] * len(codes)


def _occupation_match(offer: OfferView, candidate: CandidateView, taxonomy: Taxonomy) -> tuple[float, float, float]:
    """(same, neighbour, same domain): the probability, over both sides' guesses, of each relation.

    Neighbours are ROME mobility links and occupations of one ROME sheet (:meth:`Taxonomy.same_sheet`).

    Guesses of one side are alternatives, so their probabilities add; a given code has probability 1.
    """
    same = neighbour = domain = 0.0
    offer_p = confidences_of(offer.occupations, offer.occupation_confidences)
    candidate_p = confidences_of(candidate.occupations, candidate.occupation_confidences)
    for guess, p in zip(offer.occupations[:GUESSES], offer_p, strict=False):
        for code, q in zip(candidate.occupations, candidate_p, strict=True):
            relation = taxonomy.relation(guess, code)
            if relation == "same":
                same += p * q
            elif relation == "neighbour" or taxonomy.same_sheet(guess, code):
                neighbour += p * q
            if guess[:3] == code[:3]:
                domain += p * q
    return min(1.0, same), min(1.0, neighbour), min(1.0, domain)


def named_relation(same: float, neighbour: float, domain: float) -> str:
    """The relation a page names for a pair (its tag): the likeliest of same and neighbour, if at least
    :data:`NAMED_AT` likely, else the domain, at that likelihood too, else none."""
    if max(same, neighbour) >= NAMED_AT:
        return "same" if same >= neighbour else "neighbour"
    return "domain" if domain >= NAMED_AT else "none"


def certainty(offer: OfferView, candidate: CandidateView) -> float:
    """How sure the structured side of a pair is: the product of both sides' best occupation confidence."""
    offer_p = max(confidences_of(offer.occupations, offer.occupation_confidences), default=0.0)
    candidate_p = max(confidences_of(candidate.occupations, candidate.occupation_confidences), default=0.0)
    return offer_p * candidate_p


def has_structure(offer: OfferView) -> bool:
    """Whether the offer gives the structured features anything to read: an occupation or skills.

    Without either (an offer in another language: the ranking takes every French offer's occupation guesses,
    however unsure, each weighed by its confidence), every structured feature is empty and the ranking orders
    by retrieval alone.
    """
    return bool(offer.occupations or offer.required_skills or offer.desired_skills)


def retrieval_scores(cosines: Sequence[float], lexicals: Sequence[float]) -> list[float]:
    """Reciprocal-rank fusion of the cosine and BM25 ranks within a list of pairs, scaled so the best is 1."""
    return [float(v) for v in _retrieval(cosines, lexicals)]


def _retrieval(cosines: Sequence[float], lexicals: Sequence[float]) -> npt.NDArray[np.float64]:
    n = len(cosines)
    if n == 0:
        return np.zeros(0)
    fused = np.zeros(n)
    for scores in (cosines, lexicals):
        # Equal scores share the best of their ranks: two profiles the search cannot tell apart (twins but for a
        # name, which is not searched) must not be told apart by the order the list happened to hold them in.
        ordered = -np.asarray(scores, dtype=np.float64)
        ranks = np.searchsorted(np.sort(ordered), ordered, side="left") + 1.0
        fused += 1.0 / (RRF_K + ranks)
    best, worst = 2.0 / (RRF_K + 1), 2.0 / (RRF_K + n) if n > 1 else 0.0
    return (fused - worst) / (best - worst) if best > worst else np.ones(n)


def facts_of(
    pairs: Sequence[tuple[OfferView, CandidateView, float, float]], *, taxonomy: Taxonomy, today: date
) -> list[PairFacts]:
    """Facts of every (offer, candidate, cosine, lexical) pair of one result list (retrieval is list-relative).

    One pair at a time (:func:`pair_facts`): the reference that :func:`feature_matrix` must equal.
    """
    retrieval = retrieval_scores([p[2] for p in pairs], [p[3] for p in pairs])
    distances = _distances(pairs)
    return [
        pair_facts(o, c, cosine=cos, lexical=lex, retrieval=r, taxonomy=taxonomy, today=today, distance=d)
        for (o, c, cos, lex), r, d in zip(pairs, retrieval, distances, strict=True)
    ]


def _distances(pairs: Sequence[tuple[OfferView, CandidateView, float, float]]) -> list[float | None]:
    """Distance from each pair's workplace to the nearest place of its candidate, in one vectorised pass."""
    owners: list[int] = []
    starts: list[tuple[float, float]] = []
    ends: list[tuple[float, float]] = []
    for i, (offer, candidate, _, _) in enumerate(pairs):
        if offer.place and candidate.places:
            owners += [i] * len(candidate.places)
            starts += [offer.place] * len(candidate.places)
            ends += candidate.places
    out: list[float | None] = [None] * len(pairs)
    if owners:
        a, b = np.asarray(starts, dtype=np.float64), np.asarray(ends, dtype=np.float64)
        nearest = np.full(len(pairs), np.inf)
        np.minimum.at(nearest, owners, haversine_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
        for i in dict.fromkeys(owners):
            out[i] = float(nearest[i])
    return out


def pair_facts(
    offer: OfferView,
    candidate: CandidateView,
    *,
    cosine: float,
    lexical: float,
    retrieval: float,
    taxonomy: Taxonomy,
    today: date,
    distance: float | EllipsisType | None = ...,
) -> PairFacts:
    """Facts for one pair; ``lexical`` (BM25) and ``retrieval`` are already scaled to [0, 1] within the result list.

    ``distance``: to the candidate's nearest place when already measured (:func:`facts_of` does it for a whole list).
    """
    same, neighbour, domain = _occupation_match(offer, candidate, taxonomy)
    relation = named_relation(same, neighbour, domain)
    wanted = offer.title_terms
    title_match = len(wanted & candidate.title_terms) / len(wanted) if wanted else 0.0
    required, matched_required, missing_required = _coverage(offer.required_skills, candidate.skills)
    desired, matched_desired, missing_desired = _coverage(offer.desired_skills, candidate.skills)
    if distance is ...:
        distance = _distances([(offer, candidate, cosine, lexical)])[0]
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
        "required_skills": required * offer.skills_confidence,
        "desired_skills": desired,
        "experience": experience,
        "contract": 1.0 if overlap or not offer.contract_types else 0.0,
        "category": category,
        "proximity": proximity,
        "availability": availability,
        "retrieval": max(0.0, min(1.0, retrieval)),
        "retrieval_unsure": max(0.0, min(1.0, retrieval)) * (1.0 - certainty(offer, candidate)),
    }
    return PairFacts(
        values, relation, matched_required + matched_desired, missing_required + missing_desired, distance, overlap
    )


FloatMatrix = npt.NDArray[np.float64]
_COLUMN = {name: column for column, name in enumerate(FEATURES)}


def feature_matrix(
    pairs: Sequence[tuple[OfferView, CandidateView, float, float]],
    *,
    taxonomy: Taxonomy,
    today: date,
    distances: Sequence[float | None] | None = None,
) -> FloatMatrix:
    """The values of :func:`facts_of` for a whole list at once: one row per pair, one column per feature (FEATURES).

    Set look-ups (titles, skills, contracts) stay per pair; what depends on the offer alone (its analysed
    title, its occupations' confidences) is computed once per offer, the occupation relations once per
    (offer, candidate occupations), and the arithmetic is done on columns. Every value is computed with
    the same operations, in the same order, as :func:`pair_facts`: the two are equal, not merely close.
    ``distances``: to each candidate's nearest place, when already measured (:func:`pair_distances`).
    """
    X = np.zeros((len(pairs), len(FEATURES)), dtype=np.float64)
    if not pairs:
        return X
    if distances is None:
        distances = _distances(pairs)
    title_terms: dict[int, frozenset[str]] = {}  # analysed once per offer, not once per pair
    relations: dict[tuple[int, tuple[str, ...], tuple[float, ...]], tuple[float, float, float, float]] = {}
    graced = today.toordinal() + AVAILABILITY_GRACE.days
    rows = []
    for (offer, candidate, _, _), d in zip(pairs, distances, strict=True):
        wanted = title_terms.get(id(offer))
        if wanted is None:
            wanted = title_terms[id(offer)] = offer.title_terms
        key = (id(offer), candidate.occupations, candidate.occupation_confidences)
        relation = relations.get(key)
        if relation is None:  # the same few occupations recur down a list
            relation = relations[key] = (*_occupation_match(offer, candidate, taxonomy), certainty(offer, candidate))
        have = candidate.skills
        measured = d is not None and bool(candidate.radius_km)
        rows.append(
            (
                *relation,
                len(wanted & candidate.title_terms),
                len(wanted),
                sum(1 for s in offer.required_skills if s in have),
                len(offer.required_skills),
                offer.skills_confidence,
                sum(1 for s in offer.desired_skills if s in have),
                len(offer.desired_skills),
                offer.experience_years,
                candidate.experience_years,
                not offer.contract_types or not offer.contract_types.isdisjoint(candidate.contract_types),
                offer.category is None
                or candidate.education_level is None
                or candidate.education_level >= CATEGORY_LEVEL[offer.category],
                measured,
                d if measured else 0.0,
                candidate.radius_km if measured else 1.0,
                candidate.available_from.toordinal() - graced if candidate.available_from is not None else 0,
            )
        )
    (
        same,
        neighbour,
        domain,
        sure,
        titles,
        title_size,
        required,
        required_size,
        skills_confidence,
        desired,
        desired_size,
        wanted_years,
        years,
        contract,
        category,
        measured,
        distance,
        radius,
        late,
    ) = np.array(rows, dtype=np.float64).T
    retrieval = np.clip(_retrieval([p[2] for p in pairs], [p[3] for p in pairs]), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # lanes that np.where leaves out may divide by zero
        columns = {
            "semantic": np.clip([p[2] for p in pairs], 0.0, 1.0),
            "lexical": np.clip([p[3] for p in pairs], 0.0, 1.0),
            "title_match": np.where(title_size > 0, titles / title_size, 0.0),
            "same_occupation": same,
            "neighbour_occupation": neighbour,
            "same_domain": domain,
            "required_skills": np.where(required_size > 0, required / required_size, 0.0) * skills_confidence,
            "desired_skills": np.where(desired_size > 0, desired / desired_size, 0.0),
            "experience": np.where(wanted_years <= 0, 1.0, np.minimum(1.0, years / wanted_years)),
            "contract": contract,
            "category": category,
            "proximity": np.where(measured > 0, np.maximum(0.0, 1.0 - distance / radius), 0.5),
            "availability": np.where(late > 0, np.maximum(0.0, 1.0 - late / AVAILABILITY_FADE_DAYS), 1.0),
            "retrieval": retrieval,
            "retrieval_unsure": retrieval * (1.0 - sure),
        }
    for name, values in columns.items():
        X[:, _COLUMN[name]] = values
    return X


def pair_distances(pairs: Sequence[tuple[OfferView, CandidateView, float, float]]) -> list[float | None]:
    """Distance from each pair's workplace to its candidate's nearest place (None where either is unknown)."""
    return _distances(pairs)


def shown_facts(
    offer: OfferView, candidate: CandidateView, values: dict[str, float], distance: float | None
) -> PairFacts:
    """The facts behind a pair's values (a row of :func:`feature_matrix`), for its explanation.

    The same facts as :func:`pair_facts` gives: only the places shown need them.
    """
    same, neighbour, domain = values["same_occupation"], values["neighbour_occupation"], values["same_domain"]
    relation = named_relation(same, neighbour, domain)
    _, matched_required, missing_required = _coverage(offer.required_skills, candidate.skills)
    _, matched_desired, missing_desired = _coverage(offer.desired_skills, candidate.skills)
    overlap = sorted(offer.contract_types & candidate.contract_types)
    return PairFacts(
        values, relation, matched_required + matched_desired, missing_required + missing_desired, distance, overlap
    )
