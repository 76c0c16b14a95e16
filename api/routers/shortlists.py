"""Shortlists: built on request for an offer, kept, read page by page with an explanation per place."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Response, status
from pydantic import BaseModel, Field

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from matcher.core.models import Strict
from matcher.shortlists.kept import ShortlistPage, ShortlistSummary, build, list_for_offer, read, statement

router = APIRouter(prefix="/offers/{offer_id}/shortlists", tags=["présélections"])


class ShortlistRequest(Strict):
    size: int | None = Field(
        default=None,
        ge=1,
        description="Nombre de places (au plus le réglage max_shortlist_size ; défaut : shortlist_size)",
    )


class ShortlistCreated(BaseModel):
    shortlist: ShortlistSummary
    href: str


@router.post("", status_code=status.HTTP_201_CREATED)
def build_shortlist(
    offer_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    tasks: BackgroundTasks,
    response: Response,
    request: ShortlistRequest | None = None,
) -> ShortlistCreated:
    """Classe les candidats visibles dont l'aire de mobilité couvre le lieu de travail, et conserve le résultat."""
    summary = build(rt, principal=principal, offer_id=offer_id, size=(request or ShortlistRequest()).size)
    href = f"/offers/{offer_id}/shortlists/{summary.id}"
    response.headers["Location"] = href
    tasks.add_task(runner.kick)  # the webhook delivery queued with it
    return ShortlistCreated(shortlist=summary, href=href)


@router.get("")
def list_shortlists(offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> list[ShortlistSummary]:
    return list_for_offer(rt, principal=principal, offer_id=offer_id)


@router.get("/{shortlist_id}")
def read_shortlist(
    offer_id: str,
    shortlist_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> ShortlistPage:
    """Une page de la présélection (``latest`` : la plus récente), chaque place expliquée."""
    return read(rt, principal=principal, offer_id=offer_id, shortlist_id=shortlist_id, limit=limit, offset=offset)


@router.get("/{shortlist_id}/candidates/{candidate_id}/statement")
def explain_place(
    offer_id: str, shortlist_id: str, candidate_id: str, rt: RuntimeDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Explication du traitement algorithmique pour une place (CRPA, art. L311-3-1 et R311-3-1-2)."""
    return statement(rt, principal=principal, offer_id=offer_id, shortlist_id=shortlist_id, candidate_id=candidate_id)
