"""A recruiter's saved candidate searches (the search itself is POST /candidates/search)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth import PrincipalDep
from api.deps import RuntimeDep
from matcher.catalog import search
from matcher.catalog.search import CandidateResults, SavedSearch, SavedSearchIn, SearchIn

router = APIRouter(prefix="/searches", tags=["recherches"])
KIND = "candidates"


@router.get("")
def list_searches(rt: RuntimeDep, principal: PrincipalDep) -> list[SavedSearch]:
    with rt.store.read() as session:
        return search.list_saved(session, account_id=principal.subject, kind=KIND)


@router.post("", status_code=status.HTTP_201_CREATED)
def save_search(data: SavedSearchIn, rt: RuntimeDep, principal: PrincipalDep) -> SavedSearch:
    with rt.store.transaction() as session:
        return search.save(rt, session, account_id=principal.subject, kind=KIND, data=data)


@router.get("/{search_id}/results")
def run_search(
    search_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> CandidateResults:
    with rt.store.read() as session:
        saved = search.get_saved(session, account_id=principal.subject, kind=KIND, search_id=search_id)
    return search.search_candidates(rt, SearchIn(query=saved.query, filters=saved.filters, limit=limit, offset=offset))


@router.delete("/{search_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_search(search_id: str, rt: RuntimeDep, principal: PrincipalDep) -> None:
    with rt.store.transaction() as session:
        search.delete_saved(session, account_id=principal.subject, kind=KIND, search_id=search_id)
