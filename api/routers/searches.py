"""A recruiter's saved candidate searches (the search itself is POST /candidates/search)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth import PrincipalDep
from api.deps import RuntimeDep
from matcher.catalog import search
from matcher.catalog.search import CandidateResults, SavedSearch, SavedSearchIn

router = APIRouter(prefix="/searches", tags=["recherches"])
KIND = "candidates"


@router.get("")
def list_searches(rt: RuntimeDep, principal: PrincipalDep) -> list[SavedSearch]:
    return search.saved_searches(rt, principal=principal, kind=KIND)


@router.post("", status_code=status.HTTP_201_CREATED)
def save_search(data: SavedSearchIn, rt: RuntimeDep, principal: PrincipalDep) -> SavedSearch:
    return search.save_search(rt, principal=principal, kind=KIND, data=data)


@router.get("/{search_id}/results")
def run_search(
    search_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> CandidateResults:
    return search.run_saved_search(rt, principal=principal, search_id=search_id, limit=limit, offset=offset)


@router.delete("/{search_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_search(search_id: str, rt: RuntimeDep, principal: PrincipalDep) -> None:
    search.delete_search(rt, principal=principal, kind=KIND, search_id=search_id)
