"""Employers and reference look-ups (communes, ROME job titles) for forms and partners."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import text

from api.deps import RuntimeDep
from api.schemas import Health, JobTitleOut
from matcher import services
from matcher.domain import Employer, EmployerIn
from matcher.geo import Commune
from matcher.jobs import pending_count
from matcher.runtime import CANDIDATES, OFFERS

router = APIRouter(tags=["référentiels"])
Search = Annotated[str, Query(min_length=1, max_length=100)]


@router.get("/health", tags=["exploitation"])
def health(rt: RuntimeDep) -> Health:
    with rt.store.read() as session:
        session.execute(text("SELECT 1"))
    return Health(
        status="ok",
        store="ok",
        index={i: rt.backend.count(i) for i in (OFFERS, CANDIDATES)},
        pending_jobs=pending_count(rt),
    )


@router.get("/employers", tags=["employeurs"])
def list_employers(rt: RuntimeDep) -> list[Employer]:
    with rt.store.read() as session:
        return services.list_employers(session)


@router.post("/employers", tags=["employeurs"], status_code=status.HTTP_201_CREATED)
def create_employer(data: EmployerIn, rt: RuntimeDep) -> Employer:
    if data.commune_insee:
        services.check_commune(rt.geography, "commune_insee", data.commune_insee)
    with rt.store.transaction() as session:
        return services.create_employer(session, data=data)


@router.get("/reference/communes")
def search_communes(rt: RuntimeDep, q: Search, limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[Commune]:
    """Communes by name prefix, postal code or INSEE code (with coordinates and population)."""
    return (rt.geography.resolve(q) or rt.geography.search(q, limit))[:limit]


@router.get("/reference/job-titles")
def search_job_titles(rt: RuntimeDep, q: Search, limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[JobTitleOut]:
    """ROME job titles (appellations) whose words start with the query's words."""
    out = []
    for title in rt.taxonomy.search_titles(q, limit):
        occupation = rt.taxonomy.occupation(title.rome)
        out.append(
            JobTitleOut(
                code=title.code, label=title.label, rome=title.rome, rome_label=occupation.label if occupation else ""
            )
        )
    return out
