"""RFC 9457 problem details for every error, with the faulty field named where there is one."""

from __future__ import annotations

import logging
from email.message import Message
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.params import Form
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.limits import RateLimited
from indices.errors import SearchUnavailable
from matcher.core.bodies import MAX_DEPTH, json_error_message, position
from matcher.core.errors import (
    Conflict,
    Erased,
    Forbidden,
    InvalidInput,
    MatcherError,
    NotFound,
    Unauthenticated,
    Unreadable,
    UnsupportedMedia,
)
from matcher.core.messages import field_path, french
from matcher.core.retry import is_transient

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, *, type_: str = "about:blank", **extra: Any) -> JSONResponse:
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _media_type(value: str) -> str:
    message = Message()
    message["content-type"] = value
    return message.get_content_type()


def _accepted(request: Request) -> tuple[str, ...] | None:
    """The media types the route's body is read from, or None when it takes no body."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return None
    if isinstance(route.body_field.field_info, Form):
        return ("application/x-www-form-urlencoded", "multipart/form-data")
    return ("application/json",)


def _unsupported(request: Request) -> UnsupportedMedia | None:
    """A body sent in a format the route does not read (FastAPI then reports every field as missing)."""
    accepted, received = _accepted(request), request.headers.get("content-type", "")
    if not accepted or not received:
        return None
    media = _media_type(received)
    if media in accepted or (accepted == ("application/json",) and media.endswith("+json")):
        return None
    return UnsupportedMedia(media, accepted)


def _unsupported_problem(exc: UnsupportedMedia) -> JSONResponse:
    return problem(
        415,
        exc.title,
        exc.detail,
        type_="/problems/unsupported-media-type",
        errors=[{"field": "content-type", "message": exc.detail, "type": "unsupported_media_type"}],
    )


def _unreadable_problem(exc: Unreadable) -> JSONResponse:
    error: dict[str, Any] = {"field": exc.field, "message": exc.detail, "type": "unreadable"}
    error |= {k: v for k, v in (("line", exc.line), ("column", exc.column)) if v is not None}
    return problem(400, exc.title, exc.detail, type_="/problems/unreadable", errors=[error])


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    unsupported = _unsupported(request)
    if unsupported is not None:
        return _unsupported_problem(unsupported)
    details = exc.errors()
    broken = next((e for e in details if e.get("type") == "json_invalid"), None)
    if broken is not None:
        doc, pos = exc.body if isinstance(exc.body, str) else "", broken["loc"][-1]
        line, column = position(doc, pos) if isinstance(pos, int) else (None, None)
        reason = json_error_message(str((broken.get("ctx") or {}).get("error", "")))
        where = f" (ligne {line}, colonne {column})" if line is not None else ""
        return _unreadable_problem(Unreadable("body", f"JSON illisible{where} : {reason}", line=line, column=column))
    errors = [{"field": field_path(e["loc"]) or "body", "message": french(e), "type": e["type"]} for e in details]
    first = errors[0] if errors else {"field": "body", "message": "données invalides"}
    return problem(
        422,
        "Données invalides",
        f"Champ invalide : {first['field']} ({first['message']})",
        type_="/problems/validation",
        errors=errors,
    )


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
    if isinstance(exc, Unreadable):
        return _unreadable_problem(exc)
    if isinstance(exc, UnsupportedMedia):
        return _unsupported_problem(exc)
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


_HTTP_TITLES = {
    400: ("Requête invalide", "La requête est mal formée."),
    404: ("Ressource introuvable", "Aucune ressource à cette adresse."),
    405: ("Méthode non autorisée", "Cette méthode n'est pas permise sur cette ressource."),
    413: ("Requête trop volumineuse", "Le corps de la requête est trop volumineux."),
    415: ("Type de contenu non pris en charge", "Ce type de contenu n'est pas pris en charge."),
}
# Details FastAPI and Starlette write in English: what the caller reads instead.
_HTTP_DETAILS = {"There was an error parsing the body": "Le corps de la requête est illisible."}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    title, default = _HTTP_TITLES.get(exc.status_code, ("Erreur", "La requête n'a pas abouti."))
    detail = str(exc.detail)
    if exc.__cause__ is not None and isinstance(exc.__cause__, RecursionError):
        detail = f"Structure trop profondément imbriquée (au plus {MAX_DEPTH} niveaux)."
    elif detail in _HTTP_DETAILS:
        detail = _HTTP_DETAILS[detail]
    elif not detail or detail == _phrase(exc.status_code):  # Starlette's English reason phrase: ours instead
        detail = default
    response = problem(exc.status_code, title, detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


RETRY_AFTER_S = 5


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The store or the search backend out of reach (or locked): 503, and when to come back."""
    if not is_transient(exc):  # e.g. a DBAPIError that is a bug, not an outage
        return await _unexpected(request, exc)
    log.warning("dependency unavailable: %s", type(exc).__name__)
    response = problem(
        503,
        "Service momentanément indisponible",
        f"Un composant du service est hors d'atteinte : réessayez dans {RETRY_AFTER_S} s.",
        type_="/problems/unavailable",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


async def _too_deep(_: Request, exc: RecursionError) -> JSONResponse:
    """Nesting deep enough to exhaust the stack wherever it is walked: the input's fault, not ours."""
    return _unreadable_problem(
        Unreadable("body", f"structure trop profondément imbriquée (au plus {MAX_DEPTH} niveaux)")
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if is_transient(exc):
        return await _unavailable(request, exc)
    # Log the type only: messages of unexpected errors may carry personal data from the request.
    log.error("unexpected error: %s", type(exc).__name__)
    return problem(500, "Erreur interne", "Une erreur inattendue est survenue.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(MatcherError, _matcher_error)  # type: ignore[arg-type]
    app.add_exception_handler(RateLimited, _rate_limited)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    # Outages of what the service depends on, wherever they surface (search, store): one translation, here.
    for outage in (SearchUnavailable, OperationalError, DBAPIError, RedisConnectionError, RedisTimeoutError):
        app.add_exception_handler(outage, _unavailable)
    app.add_exception_handler(RecursionError, _too_deep)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
