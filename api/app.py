"""Application factory: one FastAPI app serving the API (JSON) and the pages (HTML)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import pages, problems
from api.routers import candidates, offers, reference
from matcher.jobs import InProcessRunner
from matcher.runtime import Runtime
from matcher.settings import get_settings


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """Build the app. Without a ``runtime`` one is opened at start-up from the settings and closed at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        rt = runtime or Runtime.open(get_settings())
        rt.ensure_indices()
        app.state.runtime = rt
        app.state.runner = InProcessRunner(rt)
        try:
            yield
        finally:
            if owned:
                rt.close()

    app = FastAPI(
        title="Approche directe",
        summary="Présélection de candidats pour les offres des employeurs publics, chaque place expliquée.",
        version="0.1.0",
        lifespan=lifespan,
    )
    problems.install(app)
    for router in (offers.router, candidates.router, reference.router, pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app
