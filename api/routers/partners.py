"""Partner agencies: bulk sync of their offers (JSON array or JSON lines, envelopes or JobPosting) and a change feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from starlette.concurrency import run_in_threadpool

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from matcher.access.accounts import PartnerOut
from matcher.catalog import sync
from matcher.catalog.sync import ChangePage, SyncReport
from matcher.core.models import MAX_PAGE
from matcher.store.tables import PartnerRow

router = APIRouter(prefix="/partners/me", tags=["partenaires"])

_ENVELOPE = {
    "type": "object",
    "properties": {
        "external_id": {"type": "string", "maxLength": 128},
        "version": {"type": "integer", "minimum": 0},
        "updated_at": {"type": "string", "format": "date-time"},
        "deleted": {"type": "boolean"},
        "offer": {"$ref": "#/components/schemas/OfferIn"},
    },
    "required": ["external_id"],
}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "items": _ENVELOPE, "maxItems": sync.MAX_ITEMS}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.get("")
def who_am_i(rt: RuntimeDep, principal: PrincipalDep) -> PartnerOut:
    with rt.store.read() as session:
        row = session.get(PartnerRow, principal.subject)
        assert row is not None  # the key was just resolved to it
        return PartnerOut(id=row.id, name=row.name, employer_ids=list(row.employer_ids))


@router.put("/offers", openapi_extra=_BODY)
async def sync_offers(
    request: Request, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> SyncReport:
    """Synchronise jusqu'à 10 000 offres : idempotent par (partenaire, identifiant externe) et version.

    Chaque élément : ``{"external_id", "version" | "updated_at", "deleted", "offer"}`` ou un JobPosting
    schema.org. Réponse : le sort de chaque élément (created, updated, unchanged, deleted, rejected).
    """
    items = sync.parse_body(await request.body(), request.headers.get("content-type", ""))
    report = await run_in_threadpool(
        sync.sync_offers, rt.store, partner=principal, items=items, taxonomy=rt.taxonomy, geography=rt.geography
    )
    tasks.add_task(runner.kick)
    return report


@router.get("/offers/changes")
def offer_changes(
    rt: RuntimeDep,
    principal: PrincipalDep,
    since: Annotated[int, Query(ge=0, description="Curseur : 0 pour tout l'historique")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
) -> ChangePage:
    """Ce qui a changé dans vos offres depuis ``since`` (dans l'ordre ; reprenez avec ``next_cursor``)."""
    with rt.store.read() as session:
        return sync.changes(session, partner_id=principal.subject, since=since, limit=limit)
