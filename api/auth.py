"""Who is calling, and may they call this route: every request passes through :func:`authorize`.

Credentials: a bearer JWT (people), a partner API key (``X-API-Key`` or bearer), or the signed
session cookie of the pages. The route's rule comes from :data:`api.access.ACCESS`; a route
without a rule is refused, so forgetting one fails closed (and fails the tests).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from api.access import ACCESS, Rule, _Public
from api.limits import Limiter, RateLimiter
from matcher.access import accounts
from matcher.access.accounts import KEY_PREFIX, Principal
from matcher.access.emails import InvalidEmail, normalise_email
from matcher.access.tokens import subject_of
from matcher.core.errors import Forbidden, Unauthenticated
from matcher.runtime import Runtime

SESSION_ACCOUNT = "account_id"  # key of the account id in the pages' session cookie
SESSION_GENERATION = "generation"  # the account's session generation when it signed in (see accounts.sign_out)


def _credentials(request: Request) -> tuple[str, str] | None:
    """("key", value) or ("token", value) from the headers, if any."""
    api_key = request.headers.get("x-api-key")
    if api_key:
        return "key", api_key.strip()
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        value = value.strip()
        return ("key" if value.startswith(f"{KEY_PREFIX}_") else "token"), value
    return None


def identify(request: Request, rt: Runtime, *, cookie: bool = True) -> Principal | None:
    """The caller's principal; None for an anonymous caller. Bad credentials are an error, not anonymity.

    ``cookie``: whether the pages' session cookie counts (pages only: the JSON API wants a bearer
    token or a key, so a cookie riding along on a cross-site request can never act on it).
    """
    presented = _credentials(request)
    if presented is None:
        use_cookie = cookie and "session" in request.scope
        account_id = request.session.get(SESSION_ACCOUNT) if use_cookie else None
        if not account_id:
            return None
        generation = request.session.get(SESSION_GENERATION)
        principal = accounts.principal_for_session(rt, account_id=account_id, generation=generation)
        if principal is None:  # ended (signed out elsewhere, password changed, account disabled): anonymous
            request.session.clear()
        return principal
    kind, value = presented
    if kind == "key":
        principal = accounts.principal_for_key(rt, presented=value)
    else:
        claims = subject_of(rt.settings, value)
        principal = None
        if claims is not None:
            account_id, generation = claims
            principal = accounts.principal_for_account(rt, account_id=account_id, generation=generation)
    if principal is None:
        raise Unauthenticated("jeton ou clé d'API invalide, expiré ou révoqué")
    return principal


# Declared for the OpenAPI document (security schemes); the values are read in :func:`identify`.
_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


async def authorize(
    request: Request,
    _token: Annotated[str | None, Depends(_bearer)],
    _key: Annotated[str | None, Depends(_api_key)],
) -> None:
    """App-wide dependency: authenticate, apply the route's rule, then the caller's rate limit.

    Checking credentials reads the store (and a shared rate limit, Redis): that part runs in a worker
    thread. An anonymous caller limited in this process needs neither, and is checked right here: a
    health probe or a public page no longer waits for a thread.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or (rule := ACCESS.get((request.method, route.path))) is None:
        raise Forbidden("aucune règle d'accès pour cette route")
    cookie = not route.include_in_schema  # pages are out of the API schema
    if _anonymous(request, cookie=cookie) and isinstance(request.app.state.rate_limiter, RateLimiter):
        _authorize(request, rule, cookie=cookie)
    else:
        await run_in_threadpool(_authorize, request, rule, cookie=cookie)


def _anonymous(request: Request, *, cookie: bool) -> bool:
    """Whether the request presents no credentials at all (no header, no page session when it would count)."""
    if _credentials(request) is not None:
        return False
    return not (cookie and "session" in request.scope and request.session.get(SESSION_ACCOUNT))


def _authorize(request: Request, rule: Rule, *, cookie: bool) -> None:
    rt: Runtime = request.app.state.runtime
    try:
        principal = identify(request, rt, cookie=cookie)
    except Unauthenticated:
        _count_bad_credentials(request)
        raise
    request.state.principal = principal
    limiter: Limiter = request.app.state.rate_limiter
    limiter.check(_rate_key(request, principal))
    if isinstance(rule, _Public):
        return
    if principal is None:
        raise Unauthenticated("authentification requise")
    if principal.role not in rule:
        raise Forbidden("votre rôle ne permet pas cette opération")


def _count_bad_credentials(request: Request) -> None:
    """Guessing tokens or keys is as slow as guessing passwords: the sign-in limit, per address."""
    limiter: Limiter = request.app.state.sign_in_limiter
    limiter.check(f"bad-credentials:{request.client.host if request.client else 'unknown'}")


def check_sign_in_rate(request: Request, email: str) -> None:
    """Sign-in attempts per address, and per address and e-mail: guessing passwords stays slow.

    The per-address limit stops trying one password on many accounts (spraying); the per-e-mail one,
    tighter, many passwords on one account. The e-mail counts in its canonical form, so spelling one
    address another way (case, fullwidth letters, invisible characters) is the same attempt.
    """
    host = request.client.host if request.client else "unknown"
    per_address: Limiter = request.app.state.sign_in_address_limiter
    per_address.check(f"sign-in:{host}")
    try:
        identity = normalise_email(email)
    except InvalidEmail:
        identity = email.strip().casefold()
    per_email: Limiter = request.app.state.sign_in_limiter
    per_email.check(f"{host}:{identity}")


def check_account_request_rate(request: Request, email: str) -> None:
    """Sign-ups and password-reset requests, per client address and per e-mail (canonical form): each may
    send an e-mail, so neither a client nor anyone aiming at one mailbox can send many."""
    host = request.client.host if request.client else "unknown"
    per_address: Limiter = request.app.state.account_address_limiter
    per_address.check(f"account:{host}")
    try:
        identity = normalise_email(email)
    except InvalidEmail:
        return  # refused as malformed before anything is sent
    per_email: Limiter = request.app.state.account_email_limiter
    per_email.check(f"account:{identity}")


def _rate_key(request: Request, principal: Principal | None) -> str:
    if principal is not None:
        return f"{principal.role}:{principal.key_id or principal.subject}"
    return f"ip:{request.client.host if request.client else 'unknown'}"


# Plain reads of what authorize() left: async, so that they cost no trip to a worker thread.
async def current_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # only reachable on a PUBLIC route that asks for a principal: a wiring bug
        raise Unauthenticated("authentification requise")
    return principal


async def optional_principal(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


PrincipalDep = Annotated[Principal, Depends(current_principal)]
MaybePrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
