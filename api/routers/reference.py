"""Reference look-ups (communes, ROME job titles, skills) for forms and partners, and the health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import RuntimeDep
from api.schemas import Health, JobTitleOut, SkillOut
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.jobs import deadletters
from matcher.jobs.runner import broker_status, pending_count
from matcher.reference.geography import Commune

router = APIRouter(tags=["référentiels"])
Search = Annotated[str, Query(min_length=1, max_length=100)]


@router.get("/health", tags=["exploitation"])
def health(rt: RuntimeDep, response: Response) -> Health:
    """Store, search backend and job broker reachability; 503 when one of them is out of reach."""
    store, pending, dead = "ok", -1, -1
    try:
        with rt.store.read() as session:
            session.execute(text("SELECT 1"))
            dead = deadletters.waiting_count(session)
        pending = pending_count(rt)
    except SQLAlchemyError:
        store = "unreachable"
    search, index = "ok", {}
    try:
        index = {i: rt.backend.count(i) for i in (OFFERS, CANDIDATES)}
    except Exception:  # any backend failure means the same to a load balancer
        search = "unreachable"
    broker = broker_status(rt.settings)
    healthy = store == search == "ok" and broker != "unreachable"
    if not healthy:
        response.status_code = 503
    return Health(
        status="ok" if healthy else "degraded",
        store=store,
        search=search,
        broker=broker,
        index=index,
        pending_jobs=pending,
        dead_letters=dead,
    )


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


@router.get("/reference/skills")
def search_skills(rt: RuntimeDep, q: Search, limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[SkillOut]:
    """ROME skills (savoir-faire, savoirs) whose words start with the query's words."""
    return [SkillOut(code=s.code, label=s.label, kind=s.kind) for s in rt.taxonomy.search_skills(q, limit)]
