"""Candidate profiles and the offers matched to them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response, status

from api.deps import RunnerDep, RuntimeDep
from api.schemas import Page
from matcher import services
from matcher.domain import Candidate, CandidateIn, Visibility
from matcher.shortlist import Matches, build_matches

router = APIRouter(prefix="/candidates", tags=["candidats"])


@router.get("")
def list_candidates(
    rt: RuntimeDep,
    visibility: Visibility | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[Candidate]:
    with rt.store.read() as session:
        items, total = services.list_candidates(session, visibility=visibility, limit=limit, offset=offset)
    return Page[Candidate](items=items, total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_candidate(
    data: CandidateIn, rt: RuntimeDep, runner: RunnerDep, tasks: BackgroundTasks, response: Response
) -> Candidate:
    with rt.store.transaction() as session:
        candidate = services.create_candidate(session, data=data, taxonomy=rt.taxonomy, geography=rt.geography)
    tasks.add_task(runner.kick)
    response.headers["Location"] = f"/candidates/{candidate.id}"
    return candidate


@router.get("/{candidate_id}")
def get_candidate(candidate_id: str, rt: RuntimeDep) -> Candidate:
    with rt.store.read() as session:
        return services.get_candidate(session, candidate_id=candidate_id)


@router.put("/{candidate_id}")
def update_candidate(
    candidate_id: str, data: CandidateIn, rt: RuntimeDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Candidate:
    with rt.store.transaction() as session:
        candidate = services.update_candidate(
            session, candidate_id=candidate_id, data=data, taxonomy=rt.taxonomy, geography=rt.geography
        )
    tasks.add_task(runner.kick)
    return candidate


@router.delete("/{candidate_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_candidate(candidate_id: str, rt: RuntimeDep, runner: RunnerDep, tasks: BackgroundTasks) -> None:
    with rt.store.transaction() as session:
        services.delete_candidate(session, candidate_id=candidate_id)
    tasks.add_task(runner.kick)


@router.get("/{candidate_id}/matches")
def get_matches(candidate_id: str, rt: RuntimeDep, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Matches:
    """Published offers inside the candidate's mobility area, best first, each explained."""
    return build_matches(rt, candidate_id=candidate_id, limit=limit)
