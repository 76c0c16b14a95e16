"""Reference look-ups (communes, ROME job titles, skills) for forms and partners, and the health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import RuntimeDep
from api.schemas import JobTitleOut, SkillOut
from matcher.jobs import health as health_check
from matcher.jobs.health import Health
from matcher.reference.geography import Commune

router = APIRouter(tags=["référentiels"])
Search = Annotated[str, Query(min_length=1, max_length=100)]


@router.get("/health", tags=["exploitation"])
async def health(rt: RuntimeDep, request: Request, response: Response) -> Health:
    """Store, search backend, broker and workers reachable, background work keeping up; else 503."""
    # The probes block: one trip to a worker thread (a sync route takes two, the second to check the answer).
    report = await run_in_threadpool(health_check.check, rt, request.app.state.worker_watch)
    if report.status != "ok":
        response.status_code = 503
    return report


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
