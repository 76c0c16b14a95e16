"""Sign-in for people (OAuth2 password flow → short-lived bearer token) and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from api.auth import PrincipalDep, check_sign_in_rate
from api.deps import RuntimeDep
from matcher.access import accounts, tokens
from matcher.access.accounts import Account, Password
from matcher.access.emails import parse_email
from matcher.core.errors import Unauthenticated
from matcher.core.models import Strict

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
    token, lifetime = tokens.issue(rt.settings, subject=signed_in.principal.subject)
    return Token(access_token=token, expires_in=lifetime)


@router.get("/me")
def who_am_i(principal: PrincipalDep, rt: RuntimeDep) -> Account:
    return accounts.own_account(rt, principal=principal)


class PasswordChange(Strict):
    current_password: str = Field(max_length=200)
    new_password: Password


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(data: PasswordChange, rt: RuntimeDep, principal: PrincipalDep, request: Request) -> Response:
    """Change son mot de passe (l'actuel est demandé) : toutes les sessions des pages prennent fin."""
    check_sign_in_rate(request, principal.subject)  # guessing the current password is as slow as signing in
    accounts.change_password(rt, principal=principal, current=data.current_password, new=data.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
