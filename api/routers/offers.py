"""Offers of the employers the caller acts for, their decisions, and their schema.org form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Response, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from api.schemas import Page
from matcher.catalog import offers
from matcher.catalog.jsonld import job_posting
from matcher.core.models import Feedback, FeedbackIn, Offer, OfferIn, OfferStatus
from matcher.shortlists import decisions

router = APIRouter(prefix="/offers", tags=["offres"])
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=100_000)]


@router.get("")
def list_offers(
    rt: RuntimeDep,
    principal: PrincipalDep,
    employer_id: str | None = None,
    status_: Annotated[OfferStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[Offer]:
    found = offers.offer_listing(
        rt, principal=principal, employer_id=employer_id, status=status_, limit=limit, offset=offset
    )
    return Page[Offer](items=found.items, total=found.total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_offer(
    data: OfferIn,
    rt: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    tasks: BackgroundTasks,
    response: Response,
) -> Offer:
    offer = offers.add_offer(rt, principal=principal, data=data)
    tasks.add_task(runner.kick)
    response.headers["Location"] = f"/offers/{offer.id}"
    return offer


@router.get("/{offer_id}")
async def get_offer(offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Offer:
    # One trip to a worker thread for the store (a sync route takes a second one to check its answer).
    return await run_in_threadpool(offers.offer_for, rt, principal=principal, offer_id=offer_id)


@router.get(
    "/{offer_id}/jobposting", response_class=JSONResponse, responses={200: {"content": {"application/ld+json": {}}}}
)
def get_job_posting(offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> JSONResponse:
    """L'offre au format schema.org JobPosting (JSON-LD)."""
    posting: dict[str, Any] = job_posting(rt, principal=principal, offer_id=offer_id)
    return JSONResponse(posting, media_type="application/ld+json")


@router.put("/{offer_id}")
def update_offer(
    offer_id: str, data: OfferIn, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Offer:
    offer = offers.edit_offer(rt, principal=principal, offer_id=offer_id, data=data)
    tasks.add_task(runner.kick)
    return offer


@router.post("/{offer_id}/publish")
def publish_offer(
    offer_id: str, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Offer:
    offer = offers.change_status(rt, principal=principal, offer_id=offer_id, status=OfferStatus.PUBLISHED)
    tasks.add_task(runner.kick)
    return offer


@router.post("/{offer_id}/close")
def close_offer(
    offer_id: str, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Offer:
    """Clôt l'offre : fin du processus de recrutement, qui fait courir les durées de conservation."""
    offer = offers.change_status(rt, principal=principal, offer_id=offer_id, status=OfferStatus.CLOSED)
    tasks.add_task(runner.kick)
    return offer


@router.delete("/{offer_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_offer(
    offer_id: str, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> None:
    offers.remove_offer(rt, principal=principal, offer_id=offer_id)
    tasks.add_task(runner.kick)


@router.post("/{offer_id}/feedback", status_code=status.HTTP_201_CREATED)
def record_feedback(offer_id: str, data: FeedbackIn, rt: RuntimeDep, principal: PrincipalDep) -> Feedback:
    """La décision d'un recruteur sur un candidat (contacté, intéressé, entretien, recruté, écarté avec motif).

    Le système n'écarte jamais personne de lui-même : seule une personne enregistre une décision.
    """
    return decisions.record_decision(rt, principal=principal, offer_id=offer_id, data=data)


@router.get("/{offer_id}/feedback")
def list_feedback(offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> list[Feedback]:
    return decisions.decisions_on(rt, principal=principal, offer_id=offer_id)
