"""Sign-in for people (OAuth2 password flow → short-lived bearer token), who am I, a job seeker's own sign-up
with a confirmed address, and a forgotten password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import PrincipalDep, check_account_request_rate, check_sign_in_rate
from api.deps import RuntimeDep
from matcher.access import accounts, signup, tokens
from matcher.access.accounts import Account, Password
from matcher.access.emails import Email, parse_email
from matcher.core.errors import Unauthenticated
from matcher.core.models import Strict, Text

router = APIRouter(tags=["authentification"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 scheme name, not a secret
    expires_in: int


@router.post("/auth/token")
def issue_token(form: Annotated[OAuth2PasswordRequestForm, Depends()], rt: RuntimeDep, request: Request) -> Token:
    """Échange adresse et mot de passe contre un jeton porteur (JWT HS256, durée limitée)."""
    check_sign_in_rate(request, form.username)
    email = parse_email(form.username, field="username")
    signed_in = accounts.sign_in(rt, email=email, password=form.password)
    if signed_in is None:
        raise Unauthenticated("adresse ou mot de passe incorrect")
    token, lifetime = tokens.issue(rt.settings, subject=signed_in.principal.subject, generation=signed_in.generation)
    return Token(access_token=token, expires_in=lifetime)


@router.get("/me")
async def who_am_i(principal: PrincipalDep, rt: RuntimeDep) -> Account:
    # One trip to a worker thread for the store (a sync route takes a second one to check its answer).
    return await run_in_threadpool(accounts.own_account, rt, principal=principal)


class PasswordChange(Strict):
    current_password: str = Field(max_length=200)
    new_password: Password


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(data: PasswordChange, rt: RuntimeDep, principal: PrincipalDep, request: Request) -> Response:
    """Change son mot de passe (l'actuel est demandé) : toutes les sessions des pages prennent fin."""
    check_sign_in_rate(request, principal.subject)  # guessing the current password is as slow as signing in
    accounts.change_password(rt, principal=principal, current=data.current_password, new=data.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- a job seeker's own account: sign-up, address confirmation, forgotten password ---------------

SENT = (
    "Si cette adresse peut recevoir un lien, un message vient d'y être envoyé : suivez-le pour continuer. "
    "Pensez à regarder dans les courriers indésirables."
)


class Accepted(BaseModel):
    detail: str = Field(description="Toujours le même message, que l'adresse ait un compte ou non")


class SignUp(Strict):
    email: Email
    name: Text = Field(description="Nom ou prénom, pour vous saluer")
    password: Password
    consent: bool = Field(
        description="Vous acceptez le traitement de vos données décrit sur la page /inscription (obligatoire)"
    )


class LinkToken(Strict):
    token: str = Field(max_length=signup.MAX_TOKEN_LENGTH, description="Le jeton du lien reçu par courriel")


class PasswordResetRequest(Strict):
    email: Email


class PasswordReset(Strict):
    token: str = Field(max_length=signup.MAX_TOKEN_LENGTH, description="Le jeton du lien reçu par courriel")
    password: Password = Field(description="Le nouveau mot de passe (10 à 200 caractères)")


@router.post("/auth/signup", status_code=status.HTTP_202_ACCEPTED)
def sign_up(data: SignUp, rt: RuntimeDep, request: Request) -> Accepted:
    """Crée un compte de candidat, à confirmer par le lien envoyé à l'adresse donnée.

    La réponse est la même que l'adresse ait déjà un compte ou non (son titulaire reçoit alors un message
    le lui rappelant). Limité par adresse IP et par adresse électronique.
    """
    check_account_request_rate(request, data.email)
    signup.sign_up(rt, email=data.email, name=data.name, password=data.password, consent=data.consent)
    return Accepted(detail=SENT)


@router.post("/auth/verify", status_code=status.HTTP_204_NO_CONTENT)
def verify_email(data: LinkToken, rt: RuntimeDep) -> Response:
    """Confirme l'adresse d'un nouveau compte avec le jeton du lien reçu ; le compte peut alors se connecter."""
    signup.verify_email(rt, token=data.token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/password-reset", status_code=status.HTTP_202_ACCEPTED)
def request_password_reset(data: PasswordResetRequest, rt: RuntimeDep, request: Request) -> Accepted:
    """Envoie un lien pour choisir un nouveau mot de passe (valable une heure, une seule fois).

    La réponse est la même que l'adresse ait un compte ou non. Limité par adresse IP et par adresse électronique.
    """
    check_account_request_rate(request, data.email)
    signup.request_password_reset(rt, email=data.email)
    return Accepted(detail=SENT)


@router.post("/auth/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(data: PasswordReset, rt: RuntimeDep) -> Response:
    """Choisit un nouveau mot de passe avec le jeton du lien reçu ; les sessions ouvertes prennent fin."""
    signup.reset_password(rt, token=data.token, password=data.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
