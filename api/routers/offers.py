"""Offers and their shortlists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response, status

from api.deps import RunnerDep, RuntimeDep
from api.schemas import Page
from matcher import feedback, services
from matcher.domain import Feedback, FeedbackIn, Offer, OfferIn, OfferStatus
from matcher.shortlist import Shortlist, build_shortlist

router = APIRouter(prefix="/offers", tags=["offres"])
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("")
def list_offers(
    rt: RuntimeDep,
    employer_id: str | None = None,
    status_: Annotated[OfferStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[Offer]:
    with rt.store.read() as session:
        items, total = services.list_offers(
            session, employer_id=employer_id, status=status_, limit=limit, offset=offset
        )
    return Page[Offer](items=items, total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_offer(data: OfferIn, rt: RuntimeDep, runner: RunnerDep, tasks: BackgroundTasks, response: Response) -> Offer:
    with rt.store.transaction() as session:
        offer = services.create_offer(session, data=data, taxonomy=rt.taxonomy, geography=rt.geography)
    tasks.add_task(runner.kick)
    response.headers["Location"] = f"/offers/{offer.id}"
    return offer


@router.get("/{offer_id}")
def get_offer(offer_id: str, rt: RuntimeDep) -> Offer:
    with rt.store.read() as session:
        return services.get_offer(session, offer_id=offer_id)


@router.put("/{offer_id}")
def update_offer(offer_id: str, data: OfferIn, rt: RuntimeDep, runner: RunnerDep, tasks: BackgroundTasks) -> Offer:
    with rt.store.transaction() as session:
        offer = services.update_offer(
            session, offer_id=offer_id, data=data, taxonomy=rt.taxonomy, geography=rt.geography
        )
    tasks.add_task(runner.kick)
    return offer


@router.delete("/{offer_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_offer(offer_id: str, rt: RuntimeDep, runner: RunnerDep, tasks: BackgroundTasks) -> None:
    with rt.store.transaction() as session:
        services.delete_offer(session, offer_id=offer_id)
    tasks.add_task(runner.kick)


@router.get("/{offer_id}/shortlist")
def get_shortlist(offer_id: str, rt: RuntimeDep, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Shortlist:
    """Ranked candidates for direct approach, each with the explanation of its place."""
    return build_shortlist(rt, offer_id=offer_id, limit=limit)


@router.post("/{offer_id}/feedback", status_code=status.HTTP_201_CREATED)
def record_feedback(offer_id: str, data: FeedbackIn, rt: RuntimeDep) -> Feedback:
    """A recruiter's decision on a candidate (contacted, interested, interview, hired, rejected with a reason)."""
    with rt.store.transaction() as session:
        return feedback.record_feedback(session, offer_id=offer_id, data=data)


@router.get("/{offer_id}/feedback")
def list_feedback(offer_id: str, rt: RuntimeDep) -> list[Feedback]:
    with rt.store.read() as session:
        return feedback.list_feedback(session, offer_id=offer_id)
