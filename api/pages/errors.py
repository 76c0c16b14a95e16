"""Errors on pages: French HTML pages, and a redirect to sign-in, instead of the API's problem+json.

The handlers wrap those already installed (:mod:`api.problems`): a request that is not for a page
(no page route, and a client that does not ask for HTML) still gets its problem+json.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.pages.common import CsrfRefused, login_url, redirect, render
from matcher.core.errors import Conflict, Erased, Forbidden, InvalidInput, MatcherError, NotFound, Unauthenticated

Handler = Callable[[Request, Any], Awaitable[Response]]


def is_page(request: Request) -> bool:
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        return route.endpoint.__module__.startswith("api.pages")
    return "text/html" in request.headers.get("accept", "")  # no route: a browser gets the HTML 404


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return render(request, "error.html", status_code=status, title=title, detail=detail)


def _matcher_page(request: Request, exc: MatcherError) -> Response:
    if isinstance(exc, Unauthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(login_url(target if request.method == "GET" else "/"))
    if isinstance(exc, NotFound):
        return error_page(request, 404, "Page introuvable", "Cette page n'existe pas, ou vous n'y avez pas accès.")
    if isinstance(exc, Forbidden):
        return error_page(request, 403, "Accès refusé", "Votre compte ne permet pas d'ouvrir cette page.")
    if isinstance(exc, Erased):
        return error_page(request, 410, "Donnée effacée", exc.detail)
    if isinstance(exc, Conflict):
        return error_page(request, 409, "Opération impossible", exc.detail)
    if isinstance(exc, InvalidInput):
        return error_page(request, 422, "Donnée invalide", exc.detail)
    return error_page(request, 400, "Erreur", exc.detail)


def _http_page(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 404:
        return error_page(request, 404, "Page introuvable", "Cette page n'existe pas.")
    if exc.status_code == 405:
        return error_page(request, 405, "Méthode non autorisée", "Cette adresse ne s'utilise pas ainsi.")
    return error_page(request, exc.status_code, "Erreur", str(exc.detail))


def _validation_page(request: Request, exc: RequestValidationError) -> Response:
    fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
    detail = "Vérifiez les champs : " + ", ".join(fields) if fields else "Le formulaire est incomplet."
    return error_page(request, 422, "Formulaire invalide", detail)


def _csrf_page(request: Request, _: CsrfRefused) -> Response:
    return error_page(
        request,
        403,
        "Formulaire refusé",
        "Ce formulaire a expiré ou ne vient pas de ce site. Rechargez la page et recommencez.",
    )


def install(app: FastAPI) -> None:
    """Put page handlers in front of the API's; call after :func:`api.problems.install`."""
    pages: list[tuple[type[Exception], Callable[[Request, Any], Response]]] = [
        (MatcherError, _matcher_page),
        (StarletteHTTPException, _http_page),
        (RequestValidationError, _validation_page),
    ]
    for exc_class, page_handler in pages:
        app.add_exception_handler(exc_class, _either(page_handler, app.exception_handlers.get(exc_class)))
    app.add_exception_handler(CsrfRefused, _either(_csrf_page, None))


def _either(page: Callable[[Request, Any], Response], api: Any) -> Handler:
    async def handle(request: Request, exc: Any) -> Response:
        if api is None or is_page(request):
            return page(request, exc)
        response: Response = await api(request, exc)
        return response

    return handle
