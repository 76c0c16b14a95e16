"""Application factory: one FastAPI app serving the API (JSON) and the pages (HTML)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from api import pages, problems
from api.auth import authorize
from api.limits import AddressCheck, BodySizeLimit, limiter
from api.observability import RequestObservability, serve_metrics
from api.routers import (
    admin,
    approaches,
    candidates,
    cv,
    me,
    metrics,
    offers,
    partners,
    reference,
    searches,
    shortlists,
)
from api.routers import auth as auth_routes
from api.security import SecuredApp, install_offline_docs
from api.settings import get_api_settings
from matcher.access.tokens import signing_key
from matcher.core import logs
from matcher.core.settings import get_settings
from matcher.jobs.health import WorkerWatch
from matcher.jobs.runner import InProcessRunner
from matcher.runtime import Runtime, settle_serving_process

# Every router the app serves; api.access must hold a rule for each of their routes (the tests check it).
ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        auth_routes,
        offers,
        shortlists,
        approaches,
        candidates,
        searches,
        me,
        cv,
        partners,
        admin,
        reference,
        metrics,
        pages,
    )
)


def routes() -> list[tuple[str, str]]:
    """(method, path) of every route, as :func:`api.auth.authorize` looks them up."""
    return [
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    ]


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """Build the app. Without a ``runtime`` one is opened at start-up from the settings and closed at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        if owned:  # a server process of its own (uvicorn --factory): its logs are JSON lines
            logs.configure(json_lines=get_settings().log_format == "json")
        rt = runtime or Runtime.open(get_settings())
        rt.ensure_indices()
        if owned:  # this process serves until it stops (the run command settles its own once warmed up)
            settle_serving_process()
        serve_metrics(rt, get_api_settings())
        app.state.runtime = rt
        app.state.runner = InProcessRunner(rt)
        app.state.worker_watch = WorkerWatch()
        shared = rt.settings.broker_url  # several API processes share their limits through the broker's Redis
        app.state.rate_limiter = limiter("requests", rt.settings.rate_limit_per_minute, redis_url=shared)
        app.state.sign_in_limiter = limiter("sign-in", rt.settings.sign_in_attempts_per_minute, redis_url=shared)
        app.state.sign_in_address_limiter = limiter(
            "sign-in-address", rt.settings.sign_in_attempts_per_address_per_minute, redis_url=shared
        )
        # Sign-ups and password-reset requests send e-mails: a few per hour per client, fewer per e-mail address.
        hour = 3600.0
        app.state.account_address_limiter = limiter(
            "account-address", rt.settings.account_requests_per_address_per_hour, redis_url=shared, period_s=hour
        )
        app.state.account_email_limiter = limiter(
            "account-email", rt.settings.account_requests_per_email_per_hour, redis_url=shared, period_s=hour
        )
        try:
            yield
        finally:
            app.state.runner.close()  # pending wake-ups and retry timers end with the app
            if owned:
                rt.close()

    app = SecuredApp(  # security headers on every response, errors included (api.security)
        title="Approche directe",
        summary="Présélection de candidats pour les offres des employeurs publics, chaque place expliquée.",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(authorize)],
        docs_url=None,  # served below from local assets: the documentation works offline
        redoc_url=None,
    )
    install_offline_docs(app)
    problems.install(app)
    pages.install(app)  # HTML error pages and sign-in redirects for page routes
    for router in ROUTERS:
        app.include_router(router)
    settings = runtime.settings if runtime else get_settings()
    app.add_middleware(
        BodySizeLimit,
        default=settings.max_body_bytes,
        bulk=settings.max_bulk_body_bytes,
        bulk_prefixes=("/partners/me/", "/me/cv", "/candidat/cv"),  # CVs: 5 MB, checked when read
    )
    # The pages' signed session cookie (account id, CSRF token); its key is derived from the token signing key.
    app.add_middleware(
        SessionMiddleware,
        secret_key=hmac.new(signing_key(settings).encode(), b"pages-session", hashlib.sha256).hexdigest(),
        session_cookie="approche_session",
        max_age=8 * 3600,
        same_site="lax",
        https_only=get_api_settings().session_https_only,
    )
    app.add_middleware(AddressCheck)  # before routing: a control character in an id never reaches a store
    app.add_middleware(RequestObservability)  # outermost: sees every request, errors included
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app
