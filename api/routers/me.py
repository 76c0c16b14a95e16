"""A job seeker's own space: profile, visibility and consent, matched offers, alerts, export, erasure."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, status
from pydantic import StringConstraints

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from matcher.catalog import candidate_sync, candidates, search
from matcher.catalog.search import SavedSearch, SavedSearchIn
from matcher.core.models import Candidate, CandidateIn, Strict
from matcher.governance import privacy
from matcher.ranking.pipeline import Matches, matches_for
from matcher.shortlists.kept import my_statements

router = APIRouter(prefix="/me", tags=["espace candidat"])
ALERTS = "offers"


@router.get("/profile")
def get_profile(rt: RuntimeDep, principal: PrincipalDep) -> Candidate:
    return candidates.own_profile(rt, principal=principal)


@router.post("/profile", status_code=status.HTTP_201_CREATED)
def create_profile(
    data: CandidateIn, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Candidate:
    """Crée le profil du candidat connecté (un seul par compte)."""
    candidate = candidates.save_own_profile(rt, principal=principal, data=data, only="create")
    tasks.add_task(runner.kick)
    return candidate


@router.put("/profile")
def update_profile(
    data: CandidateIn, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Candidate:
    """Rectification du profil, visibilité et consentements (retirer la visibilité retire le profil des index)."""
    candidate = candidates.save_own_profile(rt, principal=principal, data=data, only="update")
    tasks.add_task(runner.kick)
    return candidate


class LinkIn(Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=40)]


@router.post("/profile/link")
def take_over_profile(data: LinkIn, rt: RuntimeDep, principal: PrincipalDep) -> Candidate:
    """Reprend le profil qu'un partenaire a déposé pour vous, avec le code qu'il vous a remis ; vos choix priment."""
    return candidate_sync.take_over(rt, principal=principal, code=data.code)


@router.get("/matches")
def my_matches(rt: RuntimeDep, principal: PrincipalDep, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Matches:
    """Les offres publiées dans votre aire de mobilité, les plus proches de votre profil d'abord, avec pourquoi."""
    return matches_for(rt, principal=principal, size=limit)


@router.get("/explanations")
def my_explanations(rt: RuntimeDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Les présélections où figure votre profil, et pour chacune l'explication du traitement algorithmique."""
    return my_statements(rt, principal=principal)


@router.get("/alerts")
def list_alerts(rt: RuntimeDep, principal: PrincipalDep) -> list[SavedSearch]:
    return search.saved_searches(rt, principal=principal, kind=ALERTS)


@router.post("/alerts", status_code=status.HTTP_201_CREATED)
def create_alert(data: SavedSearchIn, rt: RuntimeDep, principal: PrincipalDep) -> SavedSearch:
    """Une alerte : texte libre, filtres et fréquence (quotidienne ou hebdomadaire, en un seul message)."""
    return search.save_search(rt, principal=principal, kind=ALERTS, data=data)


@router.delete("/alerts/{alert_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_alert(alert_id: str, rt: RuntimeDep, principal: PrincipalDep) -> None:
    search.delete_search(rt, principal=principal, kind=ALERTS, search_id=alert_id)


@router.get("/export")
def export_my_data(rt: RuntimeDep, principal: PrincipalDep) -> dict[str, Any]:
    """Toutes les données détenues sur vous, lisibles par machine (droit d'accès et à la portabilité)."""
    return privacy.export_own_data(rt, principal=principal)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
def erase_me(rt: RuntimeDep, principal: PrincipalDep) -> None:
    """Efface votre profil et votre compte partout (base, index, caches). Irréversible."""
    privacy.erase_own_data(rt, principal=principal)
