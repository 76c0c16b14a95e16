"""RFC 9457 problem details for every error, with the faulty field named where there is one."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.limits import RateLimited
from matcher.core.errors import Conflict, Erased, Forbidden, InvalidInput, MatcherError, NotFound, Unauthenticated

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, *, type_: str = "about:blank", **extra: Any) -> JSONResponse:
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"field": _field(tuple(e["loc"])), "message": e["msg"], "type": e["type"]} for e in exc.errors()]
    first = errors[0]["field"] if errors else "body"
    return problem(422, "Données invalides", f"Champ invalide : {first}", type_="/problems/validation", errors=errors)


async def _matcher_error(_: Request, exc: MatcherError) -> JSONResponse:
    if isinstance(exc, NotFound):
        return problem(404, exc.title, exc.detail, type_="/problems/not-found")
    if isinstance(exc, InvalidInput):
        return problem(
            422,
            exc.title,
            exc.detail,
            type_="/problems/invalid-reference",
            errors=[{"field": exc.field, "message": exc.detail, "type": "invalid_reference"}],
        )
    if isinstance(exc, Conflict):
        named = [{"field": exc.field, "message": exc.detail, "type": "conflict"}] if exc.field else []
        return problem(409, exc.title, exc.detail, type_="/problems/conflict", **({"errors": named} if named else {}))
    if isinstance(exc, Erased):
        return problem(410, exc.title, exc.detail, type_="/problems/erased")
    if isinstance(exc, Unauthenticated):
        response = problem(401, exc.title, exc.detail, type_="/problems/unauthenticated")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    if isinstance(exc, Forbidden):
        return problem(403, exc.title, exc.detail, type_="/problems/forbidden")
    return problem(400, exc.title, exc.detail)


async def _rate_limited(_: Request, exc: RateLimited) -> JSONResponse:
    response = problem(
        429,
        "Trop de requêtes",
        f"Limite de débit atteinte : réessayez dans {exc.retry_after} s.",
        type_="/problems/rate-limited",
    )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    titles = {404: "Ressource introuvable", 405: "Méthode non autorisée", 413: "Requête trop volumineuse"}
    return problem(exc.status_code, titles.get(exc.status_code, "Erreur"), str(exc.detail))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    # Log the type only: messages of unexpected errors may carry personal data from the request.
    log.error("unexpected error: %s", type(exc).__name__)
    return problem(500, "Erreur interne", "Une erreur inattendue est survenue.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(MatcherError, _matcher_error)  # type: ignore[arg-type]
    app.add_exception_handler(RateLimited, _rate_limited)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
