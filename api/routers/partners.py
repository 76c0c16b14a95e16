"""Partner agencies: bulk sync of their offers (JSON array or JSON lines, envelopes or JobPosting) and of the
candidate profiles they bring (with consent proofs), change feeds, and one-time codes for a person's takeover."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from starlette.concurrency import run_in_threadpool

from api.auth import PrincipalDep
from api.deps import RuntimeDep
from matcher.access.accounts import PartnerOut
from matcher.catalog import candidate_sync, sync
from matcher.catalog.candidate_sync import CandidateChangePage, CandidateSyncReport, LinkCode, PartnerCandidate
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


_CANDIDATE_ENVELOPE = {
    "type": "object",
    "properties": {
        "external_id": {"type": "string", "maxLength": 128},
        "version": {"type": "integer", "minimum": 0, "maximum": MAX_VERSION},
        "updated_at": {"type": "string", "format": "date-time"},
        "deleted": {"type": "boolean"},
        "consent": {"$ref": "#/components/schemas/ConsentProof"},
        "profile": {"$ref": "#/components/schemas/CandidateIn"},
    },
    "required": ["external_id"],
}
_CANDIDATES_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "items": _CANDIDATE_ENVELOPE, "maxItems": sync.MAX_ITEMS}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.put("/candidates", openapi_extra=_CANDIDATES_BODY)
async def sync_candidates(request: Request, rt: RuntimeDep, principal: PrincipalDep) -> CandidateSyncReport:
    """Synchronise jusqu'à 10 000 profils de personnes que vous accompagnez, chacun avec la preuve de son consentement.

    Chaque élément : ``{"external_id", "version" | "updated_at", "deleted", "consent", "profile"}`` ;
    ``consent`` : ``given_at``, ``channel``, ``scope`` (``all_public_employers`` ou ``employers`` avec
    ``employer_ids``), ``duration_days``. Un profil sans consentement est refusé (champ ``consent``).
    """
    body, content_type = await request.body(), request.headers.get("content-type", "")
    return await run_in_threadpool(candidate_sync.push, rt, partner=principal, body=body, content_type=content_type)


@router.get("/candidates/changes")
def candidate_changes(
    rt: RuntimeDep,
    principal: PrincipalDep,
    since: Annotated[int, Query(ge=0, le=MAX_VERSION, description="Curseur : 0 pour tout l'historique")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
) -> CandidateChangePage:
    """Ce qui a changé dans vos profils depuis ``since`` (effacements à la demande des personnes compris)."""
    return candidate_sync.changes_since(rt, partner=principal, since=since, limit=limit)


@router.get("/candidates/{external_id}")
def brought_candidate(rt: RuntimeDep, principal: PrincipalDep, external_id: str) -> PartnerCandidate:
    """Un profil que vous avez apporté (introuvable une fois repris par la personne)."""
    return candidate_sync.brought_profile(rt, partner=principal, external_id=external_id)


@router.post("/candidates/{external_id}/link-code", status_code=status.HTTP_201_CREATED)
def candidate_link_code(rt: RuntimeDep, principal: PrincipalDep, external_id: str) -> LinkCode:
    """Un code à usage unique (72 h) à remettre à la personne pour qu'elle reprenne son profil avec son compte."""
    return candidate_sync.issue_link_code(rt, partner=principal, external_id=external_id)
