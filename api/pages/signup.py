"""A job seeker's own account: sign-up (with the information GDPR art. 13 requires), the address confirmed by
the mailed link, and a forgotten password. Same use cases as ``/auth/signup`` and its neighbours in the API.

Every answer about an address is the same whether it has an account or not; the links open a page
with a button (a mail scanner fetching the link uses nothing up).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import Response

from api.auth import check_account_request_rate
from api.deps import RuntimeDep
from api.limits import RateLimited
from api.pages.common import flash, home_of, principal_of, redirect, render, router
from matcher.access import signup
from matcher.access.accounts import PASSWORD_MAX, PASSWORD_MIN
from matcher.access.signup import Purpose
from matcher.core.errors import InvalidInput
from matcher.governance.retention import NOT_HIRED_DAYS, POOL_DAYS
from matcher.runtime import Runtime

SENT = (
    "Si cette adresse peut recevoir un lien, un message vient d'y être envoyé : suivez-le pour continuer "
    "(pensez à regarder dans les courriers indésirables)."
)


def _sentence(message: str) -> str:
    return f"{message[:1].upper()}{message[1:]}."


def _too_many(limited: RateLimited) -> str:
    return f"Trop de demandes depuis votre connexion ou pour cette adresse : réessayez dans {limited.retry_after} s."


def _signup_page(
    request: Request, rt: Runtime, *, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    settings = rt.settings
    return render(
        request,
        "signup.html",
        status_code=status_code,
        form=values,
        errors=errors,
        password_min=PASSWORD_MIN,
        password_max=PASSWORD_MAX,
        controller=settings.data_controller,
        contact=settings.privacy_contact,
        not_hired_days=NOT_HIRED_DAYS,
        pool_days=POOL_DAYS,
        unverified_days=settings.unverified_account_days,
    )


@router.get("/inscription")
def signup_form(request: Request, rt: RuntimeDep) -> Response:
    principal = principal_of(request)
    if principal is not None:
        return redirect(home_of(principal))
    return _signup_page(request, rt, values={"name": "", "email": ""}, errors={})


@router.post("/inscription")
def signup_submit(
    request: Request,
    rt: RuntimeDep,
    name: Annotated[str, Form(max_length=300)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=300)] = "",
    consent: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    values = {"name": name, "email": email, "consent": bool(consent)}
    try:
        check_account_request_rate(request, email)
    except RateLimited as limited:
        response = _signup_page(request, rt, values=values, errors={"form": _too_many(limited)}, status_code=429)
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    try:
        signup.sign_up(rt, email=email, name=name, password=password, consent=bool(consent))
    except InvalidInput as exc:
        return _signup_page(request, rt, values=values, errors={exc.field: _sentence(exc.detail)}, status_code=422)
    flash(request, SENT)
    return redirect("/connexion")


def _invalid_link(request: Request, purpose: Purpose) -> Response:
    return render(request, "account_link_invalid.html", status_code=400, purpose=purpose.value)


@router.get("/inscription/verifier")
def verify_form(request: Request, rt: RuntimeDep, jeton: str = "") -> Response:
    if not signup.link_is_live(rt, token=jeton, purpose=Purpose.VERIFY):
        return _invalid_link(request, Purpose.VERIFY)
    return render(request, "signup_verify.html", token=jeton)


@router.post("/inscription/verifier")
def verify_submit(request: Request, rt: RuntimeDep, jeton: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        signup.verify_email(rt, token=jeton)
    except InvalidInput:
        return _invalid_link(request, Purpose.VERIFY)
    flash(request, "Adresse confirmée : votre compte est actif, vous pouvez vous connecter.")
    return redirect("/connexion")


@router.get("/mot-de-passe/oublie")
def forgot_form(request: Request) -> Response:
    return render(request, "password_forgot.html", email="", errors={})


@router.post("/mot-de-passe/oublie")
def forgot_submit(request: Request, rt: RuntimeDep, email: Annotated[str, Form(max_length=320)] = "") -> Response:
    try:
        check_account_request_rate(request, email)
    except RateLimited as limited:
        response = render(
            request, "password_forgot.html", status_code=429, email=email, errors={"form": _too_many(limited)}
        )
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    try:
        signup.request_password_reset(rt, email=email)
    except InvalidInput as exc:
        errors = {exc.field: _sentence(exc.detail)}
        return render(request, "password_forgot.html", status_code=422, email=email, errors=errors)
    flash(request, SENT)
    return redirect("/connexion")


@router.get("/mot-de-passe/nouveau")
def new_password_form(request: Request, rt: RuntimeDep, jeton: str = "") -> Response:
    if not signup.link_is_live(rt, token=jeton, purpose=Purpose.RESET):
        return _invalid_link(request, Purpose.RESET)
    return render(
        request, "password_new.html", token=jeton, errors={}, password_min=PASSWORD_MIN, password_max=PASSWORD_MAX
    )


@router.post("/mot-de-passe/nouveau")
def new_password_submit(
    request: Request,
    rt: RuntimeDep,
    jeton: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=300)] = "",
    confirmation: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    errors: dict[str, str] = {}
    if password != confirmation:
        errors["confirmation"] = "Les deux mots de passe saisis diffèrent."
    else:
        try:
            signup.reset_password(rt, token=jeton, password=password)
        except InvalidInput as exc:
            if exc.field == "token":
                return _invalid_link(request, Purpose.RESET)
            errors[exc.field] = _sentence(exc.detail)
    if errors:
        return render(
            request,
            "password_new.html",
            status_code=422,
            token=jeton,
            errors=errors,
            password_min=PASSWORD_MIN,
            password_max=PASSWORD_MAX,
        )
    request.session.clear()  # whoever was signed in here signs in again, with the new password
    flash(request, "Mot de passe changé : connectez-vous avec le nouveau. Vos autres sessions ont pris fin.")
    return redirect("/connexion")
