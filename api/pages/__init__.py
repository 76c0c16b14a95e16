"""Server-rendered pages, in French, over the same services and authorisation as the API.

Pages use the signed session cookie (see :mod:`api.auth`); every state-changing form carries the
session's CSRF token, checked here for the whole router, so no page POST can forget it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.pages import admin, public, recruiter, seeker
from api.pages import session as session_pages
from api.pages.common import check_csrf
from api.pages.errors import install

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
for _module in (public, session_pages, recruiter, seeker, admin):
    router.include_router(_module.router)

__all__ = ["install", "router"]
