"""Offers of the employers the caller acts for, their decisions, and their schema.org form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Response, status
from fastapi.responses import JSONResponse

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from api.schemas import Page
from matcher.access import tenancy
from matcher.access.accounts import Principal, Role
from matcher.catalog import offers
from matcher.catalog.jsonld import posting_from_offer
from matcher.core.errors import InvalidInput
from matcher.core.models import Feedback, FeedbackIn, Offer, OfferIn, OfferStatus
from matcher.core.records import offer_from_row
from matcher.shortlists import decisions
from matcher.store.tables import EmployerRow, OfferRow

router = APIRouter(prefix="/offers", tags=["offres"])
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=100_000)]


def _in_scope(principal: Principal, data: OfferIn) -> None:
    if not principal.may_act_for(data.employer_id):
        raise InvalidInput("employer_id", f"employeur hors de votre périmètre : {data.employer_id}")


def _provenance(principal: Principal, data: OfferIn, *, current: OfferRow | None = None) -> OfferIn:
    """Where an offer comes from is not the caller's to claim (admins' imports aside): a partner's offers carry
    its id, a recruiter's are "direct", and an edit keeps the source and reference the offer already has."""
    if principal.role is Role.ADMIN:
        return data
    if current is not None:
        return data.model_copy(update={"source": current.source, "external_ref": current.external_ref})
    return data.model_copy(update={"source": principal.subject if principal.role is Role.PARTNER else "direct"})


@router.get("")
def list_offers(
    rt: RuntimeDep,
    principal: PrincipalDep,
    employer_id: str | None = None,
    status_: Annotated[OfferStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[Offer]:
    with rt.store.read() as session:
        items, total = offers.list_offers(
            session,
            employer_id=employer_id,
            status=status_,
            limit=limit,
            offset=offset,
            visible=tenancy.offers_query(principal),
        )
    return Page[Offer](items=items, total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_offer(
    data: OfferIn,
    rt: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    tasks: BackgroundTasks,
    response: Response,
) -> Offer:
    _in_scope(principal, data)
    with rt.store.transaction() as session:
        offer = offers.create_offer(
            session, data=_provenance(principal, data), taxonomy=rt.taxonomy, geography=rt.geography
        )
    tasks.add_task(runner.kick)
    response.headers["Location"] = f"/offers/{offer.id}"
    return offer


@router.get("/{offer_id}")
def get_offer(offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Offer:
    with rt.store.read() as session:
        return offer_from_row(tenancy.offer_row(session, principal, offer_id))


@router.get(
    "/{offer_id}/jobposting", response_class=JSONResponse, responses={200: {"content": {"application/ld+json": {}}}}
)
def get_job_posting(offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> JSONResponse:
    """L'offre au format schema.org JobPosting (JSON-LD)."""
    with rt.store.read() as session:
        row = tenancy.offer_row(session, principal, offer_id)
        employer = session.get(EmployerRow, row.employer_id)
        posting: dict[str, Any] = posting_from_offer(
            offer_from_row(row), geography=rt.geography, employer_name=employer.name if employer else ""
        )
    return JSONResponse(posting, media_type="application/ld+json")


@router.put("/{offer_id}")
def update_offer(
    offer_id: str, data: OfferIn, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Offer:
    _in_scope(principal, data)
    with rt.store.transaction() as session:
        current = tenancy.offer_row(session, principal, offer_id)
        offer = offers.update_offer(
            session,
            offer_id=offer_id,
            data=_provenance(principal, data, current=current),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
    tasks.add_task(runner.kick)
    return offer


def _set_status(rt: RuntimeDep, principal: Principal, offer_id: str, new: OfferStatus) -> Offer:
    with rt.store.transaction() as session:
        tenancy.offer_row(session, principal, offer_id)
        return offers.set_offer_status(session, offer_id=offer_id, status=new)


@router.post("/{offer_id}/publish")
def publish_offer(
    offer_id: str, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Offer:
    offer = _set_status(rt, principal, offer_id, OfferStatus.PUBLISHED)
    tasks.add_task(runner.kick)
    return offer


@router.post("/{offer_id}/close")
def close_offer(
    offer_id: str, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Offer:
    """Clôt l'offre : fin du processus de recrutement, qui fait courir les durées de conservation."""
    offer = _set_status(rt, principal, offer_id, OfferStatus.CLOSED)
    tasks.add_task(runner.kick)
    return offer


@router.delete("/{offer_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_offer(
    offer_id: str, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> None:
    with rt.store.transaction() as session:
        tenancy.offer_row(session, principal, offer_id)
        offers.delete_offer(session, offer_id=offer_id)
    tasks.add_task(runner.kick)


@router.post("/{offer_id}/feedback", status_code=status.HTTP_201_CREATED)
def record_feedback(offer_id: str, data: FeedbackIn, rt: RuntimeDep, principal: PrincipalDep) -> Feedback:
    """La décision d'un recruteur sur un candidat (contacté, intéressé, entretien, recruté, écarté avec motif).

    Le système n'écarte jamais personne de lui-même : seule une personne enregistre une décision.
    """
    with rt.store.transaction() as session:
        tenancy.offer_row(session, principal, offer_id)
        tenancy.visible_candidate_row(session, principal, data.candidate_id)
        recorded = data.model_copy(update={"recruiter_id": principal.subject})
        return decisions.record_feedback(session, offer_id=offer_id, data=recorded)


@router.get("/{offer_id}/feedback")
def list_feedback(offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> list[Feedback]:
    with rt.store.read() as session:
        tenancy.offer_row(session, principal, offer_id)
        return decisions.list_feedback(session, offer_id=offer_id)
