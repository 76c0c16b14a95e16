"""Partner agencies: bulk sync of their offers (JSON array or JSON lines, envelopes or JobPosting) and a change feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from api.auth import PrincipalDep
from api.deps import RuntimeDep
from matcher.access.accounts import PartnerOut
from matcher.catalog import sync
from matcher.catalog.sync import MAX_VERSION, ChangePage, SyncReport
from matcher.core.models import MAX_PAGE

router = APIRouter(prefix="/partners/me", tags=["partenaires"])

_ENVELOPE = {
    "type": "object",
    "properties": {
        "external_id": {"type": "string", "maxLength": 128},
        "version": {"type": "integer", "minimum": 0, "maximum": MAX_VERSION},
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
    return sync.partner_profile(rt, partner_id=principal.subject)


@router.put("/offers", openapi_extra=_BODY)
async def sync_offers(request: Request, rt: RuntimeDep, principal: PrincipalDep) -> SyncReport:
    """Synchronise jusqu'à 10 000 offres : idempotent par (partenaire, identifiant externe) et version.

    Chaque élément : ``{"external_id", "version" | "updated_at", "deleted", "offer"}`` ou un JobPosting
    schema.org. Réponse : le sort de chaque élément (created, updated, unchanged, deleted, rejected).
    """
    body, content_type = await request.body(), request.headers.get("content-type", "")
    return await run_in_threadpool(sync.push, rt, partner=principal, body=body, content_type=content_type)


@router.get("/offers/changes")
def offer_changes(
    rt: RuntimeDep,
    principal: PrincipalDep,
    since: Annotated[int, Query(ge=0, le=MAX_VERSION, description="Curseur : 0 pour tout l'historique")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
) -> ChangePage:
    """Ce qui a changé dans vos offres depuis ``since`` (dans l'ordre ; reprenez avec ``next_cursor``)."""
    return sync.changes_since(rt, partner_id=principal.subject, since=since, limit=limit)
