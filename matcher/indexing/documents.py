"""What each record looks like to the search engine: the text it is found by and its filter fields.

Only what matching needs goes to the index: no name, no free contact detail. A candidate's
mobility communes are indexed as places with a reach; their home address is never stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indices.analysis import masculine
from indices.protocol import Document
from matcher.core.models import Candidate, CandidateIn, Offer, OfferIn
from matcher.embedding.protocol import Embedder, Progress
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import Taxonomy

DESCRIPTION_CHARS = 1_500  # the model reads ~256 tokens: the start of a description carries the job


def offer_text(offer: OfferIn) -> str:
    return f"{offer.title}. {offer.description[:DESCRIPTION_CHARS]}".strip()


def offer_vectors(
    embedder: Embedder, titles: Sequence[str], texts: Sequence[str], *, progress: Progress | None = None
) -> np.ndarray:
    """Offers' vectors, one per (title, text): the mean of the text's vector and the title's, unit length (a blank
    title: the text's alone). The same vector indexes an offer and looks for profiles for it.

    Embedded whole, an offer's title is one sentence among its description's (the employer, the team, the hours),
    where a profile opens with the job it wants. Built-in benchmark, dense NDCG@10, the title's weight chosen on the
    train split (README): offers looking for profiles, train 0.368 -> 0.432, test 0.539 -> 0.568; profiles looking
    for offers, graded by trade, 0.434 -> 0.447."""
    named = [i for i, title in enumerate(titles) if title.strip()]
    vectors = embedder.embed([*texts, *(titles[i] for i in named)], progress=progress)
    out = vectors[: len(texts)].copy()
    for row, i in enumerate(named, start=len(texts)):
        mean = out[i] + vectors[row]
        out[i] = mean / np.linalg.norm(mean)
    return out.astype(np.float32, copy=False)


def candidate_text(candidate: CandidateIn, taxonomy: Taxonomy) -> str:
    """The profile as matching reads it: wanted job, occupations, skills, past jobs.

    Never the name, the places or the free summary: free text can state an age, a family situation or
    a health condition, and text similarity would then weigh them (see the situation tests).
    """
    occupations = [o.label for code in candidate.desired_occupations if (o := taxonomy.occupation(code))]
    skills = [taxonomy.skill_label(code) for code in candidate.skills]
    experiences = [masculine(e.title) for e in candidate.experiences]
    # Job titles in one grammatical gender: the model must read the same text for a woman and a man.
    parts = [masculine(candidate.title), ", ".join(occupations), ". ".join(skills), ". ".join(experiences)]
    return ". ".join(p for p in parts if p)


def offer_document(offer: Offer, vector: np.ndarray, geography: Geography) -> Document:
    point = geography.coordinates(offer.commune_insee)
    return Document(
        id=offer.id,
        version=offer.version,
        text=offer_text(offer),
        vector=vector,
        keywords={
            "employer_id": [offer.employer_id],
            "status": [offer.status.value],
            "contract_types": [c.value for c in offer.contract_types],
            "category": [offer.category.value] if offer.category else [],
            "rome_code": [offer.rome_code] if offer.rome_code else [],
        },
        points=[point] if point else [],
    )


def candidate_document(
    candidate: Candidate,
    vector: np.ndarray,
    taxonomy: Taxonomy,
    geography: Geography,
    *,
    audience: Sequence[str] | None = None,
) -> Document:
    """A profile's document; ``audience``: who may find it (:func:`matcher.access.tenancy.audience`), by default
    everyone its visibility names."""
    return Document(
        id=candidate.id,
        version=candidate.version,
        text=candidate_text(candidate, taxonomy),
        vector=vector,
        keywords={
            "visibility": list(audience if audience is not None else [candidate.visibility.value]),
            "contract_types": [c.value for c in candidate.contract_types],
            "rome_code": list(candidate.desired_occupations),
            "driving_licences": list(candidate.driving_licences),
        },
        points=list(geography.points(candidate.mobility.communes)),
        reach_km=candidate.mobility.radius_km,
    )
