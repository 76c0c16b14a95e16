"""A job seeker's own space: profile, visibility and consent, matched offers, alerts, export, erasure."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, status

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from matcher.access import accounts, tenancy
from matcher.catalog import search
from matcher.catalog.candidates import create_own_profile, update_candidate
from matcher.catalog.search import SavedSearch, SavedSearchIn
from matcher.core import records
from matcher.core.models import Candidate, CandidateIn
from matcher.governance import privacy
from matcher.ranking.pipeline import Matches, build_matches
from matcher.shortlists.kept import statements_about

router = APIRouter(prefix="/me", tags=["espace candidat"])
ALERTS = "offers"


@router.get("/profile")
def get_profile(rt: RuntimeDep, principal: PrincipalDep) -> Candidate:
    with rt.store.read() as session:
        return records.get_candidate(session, candidate_id=tenancy.own_candidate_id(principal))


@router.post("/profile", status_code=status.HTTP_201_CREATED)
def create_profile(
    data: CandidateIn, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Candidate:
    """Crée le profil du candidat connecté (un seul par compte)."""
    candidate = create_own_profile(rt, account_id=principal.subject, data=data)
    tasks.add_task(runner.kick)
    return candidate


@router.put("/profile")
def update_profile(
    data: CandidateIn, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Candidate:
    """Rectification du profil, visibilité et consentements (retirer la visibilité retire le profil des index)."""
    with rt.store.transaction() as session:
        candidate = update_candidate(
            session,
            candidate_id=tenancy.own_candidate_id(principal),
            data=data,
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
    tasks.add_task(runner.kick)
    return candidate


@router.get("/matches")
def my_matches(rt: RuntimeDep, principal: PrincipalDep, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Matches:
    """Les offres publiées dans votre aire de mobilité, les plus proches de votre profil d'abord, avec pourquoi."""
    return build_matches(rt, candidate_id=tenancy.own_candidate_id(principal), limit=limit)


@router.get("/explanations")
def my_explanations(rt: RuntimeDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Les présélections où figure votre profil, et pour chacune l'explication du traitement algorithmique."""
    with rt.store.read() as session:
        return statements_about(session, candidate_id=tenancy.own_candidate_id(principal))


@router.get("/alerts")
def list_alerts(rt: RuntimeDep, principal: PrincipalDep) -> list[SavedSearch]:
    with rt.store.read() as session:
        return search.list_saved(session, account_id=principal.subject, kind=ALERTS)


@router.post("/alerts", status_code=status.HTTP_201_CREATED)
def create_alert(data: SavedSearchIn, rt: RuntimeDep, principal: PrincipalDep) -> SavedSearch:
    """Une alerte : texte libre, filtres et fréquence (quotidienne ou hebdomadaire, en un seul message)."""
    with rt.store.transaction() as session:
        return search.save(rt, session, account_id=principal.subject, kind=ALERTS, data=data)


@router.delete("/alerts/{alert_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_alert(alert_id: str, rt: RuntimeDep, principal: PrincipalDep) -> None:
    with rt.store.transaction() as session:
        search.delete_saved(session, account_id=principal.subject, kind=ALERTS, search_id=alert_id)


@router.get("/export")
def export_my_data(rt: RuntimeDep, principal: PrincipalDep) -> dict[str, Any]:
    """Toutes les données détenues sur vous, lisibles par machine (droit d'accès et à la portabilité)."""
    with rt.store.read() as session:
        account = accounts.get_account(session, account_id=principal.subject).model_dump(mode="json")
        if principal.candidate_id is None:
            return {"account": account}
        return {"account": account, **privacy.export_person(session, candidate_id=principal.candidate_id)}


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
def erase_me(rt: RuntimeDep, principal: PrincipalDep) -> None:
    """Efface votre profil et votre compte partout (base, index, caches). Irréversible."""
    if principal.candidate_id is not None:
        privacy.erase_candidate(rt, candidate_id=principal.candidate_id, actor=principal.subject)
    with rt.store.transaction() as session:
        accounts.delete_account(session, account_id=principal.subject)
