"""Server-rendered pages, in French, over the same services and authorisation as the API.

Pages use the signed session cookie (see :mod:`api.auth`); every state-changing form carries the
session's CSRF token, checked by the dependency of the one router all pages register on
(:data:`api.pages.common.router`), so no page POST can forget it.
"""

from __future__ import annotations

from api.pages import admin, approach, cv, public, recruiter, seeker, session, signup  # noqa: F401 - importing registers their routes
from api.pages.common import router
from api.pages.errors import install

__all__ = ["install", "router"]
