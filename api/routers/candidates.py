"""Candidate profiles as recruiters and admins see them, and direct search by recruiters.

Recruiters see only profiles opened to employers with recorded consent, and never the consent
dates, sources or visibility settings: those are the candidate's own business (see /me).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response, status

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from api.schemas import CandidateCard, Page
from matcher.catalog import candidates
from matcher.catalog.search import CandidateResults, SearchIn, search_candidates
from matcher.core.models import Candidate, CandidateIn, Visibility
from matcher.governance import privacy
from matcher.ranking.pipeline import Matches, matches_for

router = APIRouter(prefix="/candidates", tags=["candidats"])


def card(candidate: Candidate) -> CandidateCard:
    return CandidateCard.model_validate(candidate.model_dump(include=set(CandidateCard.model_fields)))


@router.get("")
def list_candidates(
    rt: RuntimeDep,
    principal: PrincipalDep,
    visibility: Visibility | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Page[CandidateCard]:
    """Tous les profils (administration)."""
    items, total = candidates.list_profiles(rt, principal=principal, visibility=visibility, limit=limit, offset=offset)
    return Page[CandidateCard](items=[card(c) for c in items], total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_candidate(
    data: CandidateIn,
    rt: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    tasks: BackgroundTasks,
    response: Response,
) -> Candidate:
    """Import d'un profil par l'administration (les candidats créent le leur par /me/profile)."""
    candidate = candidates.import_profile(rt, principal=principal, data=data)
    tasks.add_task(runner.kick)
    response.headers["Location"] = f"/candidates/{candidate.id}"
    return candidate


@router.post("/search")
def search(data: SearchIn, rt: RuntimeDep, principal: PrincipalDep) -> CandidateResults:
    """Recherche directe : texte libre et filtres, parmi les profils ouverts aux employeurs (à tous, ou au vôtre
    nommément par le consentement de la personne)."""
    return search_candidates(rt, data, employer_ids=principal.employer_ids)


@router.get("/{candidate_id}")
def get_candidate(candidate_id: str, rt: RuntimeDep, principal: PrincipalDep) -> CandidateCard:
    return card(candidates.profile_for(rt, principal=principal, candidate_id=candidate_id))


@router.put("/{candidate_id}")
def update_candidate(
    candidate_id: str,
    data: CandidateIn,
    rt: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    tasks: BackgroundTasks,
) -> Candidate:
    candidate = candidates.correct_profile(rt, principal=principal, candidate_id=candidate_id, data=data)
    tasks.add_task(runner.kick)
    return candidate


@router.delete("/{candidate_id}", status_code=status.HTTP_204_NO_CONTENT)
def erase_candidate(candidate_id: str, rt: RuntimeDep, principal: PrincipalDep) -> None:
    """Effacement (droit à l'effacement exercé auprès de l'administration) : store, index, caches ; irréversible."""
    privacy.erase_profile(rt, principal=principal, candidate_id=candidate_id)


@router.get("/{candidate_id}/matches")
def get_matches(
    candidate_id: str, rt: RuntimeDep, principal: PrincipalDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> Matches:
    """Offres publiées dans l'aire de mobilité du candidat, les meilleures d'abord, chacune expliquée."""
    return matches_for(rt, principal=principal, candidate_id=candidate_id, size=limit)
