"""Signing in and out of the pages: a signed session cookie holding the account id (see :mod:`api.auth`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from api.auth import SESSION_ACCOUNT, SESSION_GENERATION, MaybePrincipalDep, check_sign_in_rate
from api.deps import RuntimeDep
from api.limits import RateLimited
from api.pages.common import NAME_KEY, flash, home_of, new_csrf_token, principal_of, redirect, render, router, safe_next
from matcher.access import accounts
from matcher.access.emails import InvalidEmail, normalise_email


@router.get("/connexion")
def login_form(request: Request, suite: str | None = None) -> Response:
    principal = principal_of(request)
    if principal is not None:
        return redirect(safe_next(suite) or home_of(principal))
    return render(request, "login.html", suite=safe_next(suite) or "", email="", error=None)


@router.post("/connexion")
def login(
    request: Request,
    rt: RuntimeDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    suite: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        check_sign_in_rate(request, email)
    except RateLimited as limited:
        error = f"Trop de tentatives de connexion : réessayez dans {limited.retry_after} s."
        response = render(
            request, "login.html", status_code=429, suite=safe_next(suite) or "", email=email, error=error
        )
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    try:
        canonical = normalise_email(email) if email else ""
    except InvalidEmail as exc:
        error = f"{str(exc)[:1].upper()}{str(exc)[1:]}."
        return render(request, "login.html", status_code=422, suite=safe_next(suite) or "", email=email, error=error)
    signed_in = accounts.sign_in(rt, email=canonical, password=password)
    if signed_in is None:
        error = (
            "Adresse électronique ou mot de passe incorrect. Si vous venez de créer votre compte, confirmez d'abord "
            "votre adresse avec le lien reçu par courriel."
        )
        return render(request, "login.html", status_code=400, suite=safe_next(suite) or "", email=email, error=error)
    # A fresh session: nothing from before signing in carries over, not even the CSRF token.
    request.session.clear()
    request.session[SESSION_ACCOUNT] = signed_in.principal.subject
    request.session[SESSION_GENERATION] = signed_in.generation
    request.session[NAME_KEY] = signed_in.name
    new_csrf_token(request)
    return redirect(safe_next(suite) or home_of(signed_in.principal))


@router.post("/deconnexion")
def logout(request: Request, rt: RuntimeDep, principal: MaybePrincipalDep) -> Response:
    """Sign out for good: the account's sessions end on the server, so a copied cookie opens nothing."""
    if principal is not None:
        accounts.sign_out(rt, principal=principal)
    request.session.clear()
    flash(request, "Vous êtes déconnecté.")
    return redirect("/connexion")
