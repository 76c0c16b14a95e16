"""Who may act: accounts of people (admin, recruiter, job seeker) and partner agencies' API keys.

Passwords are hashed with argon2id; API keys are random secrets of which only a SHA-256 is kept
(they carry 256 bits of entropy, so a slow hash adds nothing). A caller is reduced to a
:class:`Principal`, which is all that authorisation ever looks at.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import Field, StringConstraints
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.access.emails import Email, InvalidEmail, normalise_email
from matcher.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from matcher.core.models import Strict, Text
from matcher.core.paging import Page, page_of
from matcher.store.tables import (
    AccountRow,
    ApiKeyRow,
    CandidateRow,
    EmployerRow,
    NotificationRow,
    PartnerRow,
    SavedSearchRow,
)

if TYPE_CHECKING:
    from matcher.runtime import Runtime

PASSWORD_MIN, PASSWORD_MAX = 10, 200
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
KEY_PREFIX = "adk"

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so that timing does not tell which accounts exist.

    Hashed at first use, not at import: an argon2 hash costs ~0.2 s by design, and every process imports this.
    """
    return _hasher.hash("not a password of anyone")


class Role(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    SEEKER = "seeker"
    PARTNER = "partner"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. ``employer_ids`` scopes recruiters and partners; ``candidate_id`` seekers."""

    role: Role
    subject: str  # account id, or partner id
    employer_ids: frozenset[str] = frozenset()
    candidate_id: str | None = None
    key_id: str | None = None  # the API key used, for rate limits and audit

    def may_act_for(self, employer_id: str) -> bool:
        return self.role is Role.ADMIN or employer_id in self.employer_ids


class AccountIn(Strict):
    email: Email
    name: Text
    role: Role = Field(description="admin, recruiter ou seeker (les partenaires ont des clés d'API)")
    password: Password
    employer_ids: list[str] = Field(default_factory=list, max_length=200)
    candidate_id: str | None = None


class Account(Strict):
    id: str
    email: str
    name: str
    role: Role
    employer_ids: list[str]
    candidate_id: str | None
    disabled: bool
    created_at: datetime


class PartnerIn(Strict):
    name: Text
    employer_ids: list[str] = Field(default_factory=list, max_length=1000)


class PartnerOut(Strict):
    id: str
    name: str
    employer_ids: list[str]


class ApiKeyOut(Strict):
    id: str
    partner_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


class IssuedKey(ApiKeyOut):
    key: str = Field(description="La clé complète : affichée une seule fois, jamais conservée en clair")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_new_password(password: str, *, field: str) -> None:
    """The rule for a password a person chooses (the ``Password`` type says the same in input models).

    Raises:
        InvalidInput: shorter than 10 or longer than 200 characters (naming ``field``).
    """
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput(field, f"le mot de passe doit compter de {PASSWORD_MIN} à {PASSWORD_MAX} caractères")


def _account(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        email=row.email,
        name=row.name,
        role=Role(row.role),
        employer_ids=list(row.employer_ids),
        candidate_id=row.candidate_id,
        disabled=row.disabled,
        created_at=row.created_at,
    )


def principal_of(row: AccountRow) -> Principal:
    return Principal(
        role=Role(row.role), subject=row.id, employer_ids=frozenset(row.employer_ids), candidate_id=row.candidate_id
    )


def _check_roles(session: Session, data: AccountIn) -> None:
    if data.role is Role.PARTNER:
        raise InvalidInput("role", "les partenaires s'authentifient par clé d'API, pas par compte")
    if data.role is Role.RECRUITER and not data.employer_ids:
        raise InvalidInput("employer_ids", "un recruteur agit pour au moins un employeur")
    for position, employer_id in enumerate(data.employer_ids):
        if session.get(EmployerRow, employer_id) is None:
            raise InvalidInput(f"employer_ids.{position}", f"employeur inconnu : {employer_id}")
    if data.candidate_id is not None:
        if data.role is not Role.SEEKER:
            raise InvalidInput("candidate_id", "seul un compte de candidat peut être lié à un profil")
        if session.get(CandidateRow, data.candidate_id) is None:
            raise InvalidInput("candidate_id", f"profil inconnu : {data.candidate_id}")
        _check_profile_free(session, data.candidate_id)
    if session.scalar(select(AccountRow.id).where(AccountRow.email == data.email)) is not None:
        raise Conflict("un compte existe déjà pour cette adresse", field="email")


def _check_profile_free(session: Session, candidate_id: str, *, account_id: str | None = None) -> None:
    """One profile, one account: binding a profile another account owns would let either erase both."""
    owner = session.scalar(select(AccountRow.id).where(AccountRow.candidate_id == candidate_id))
    if owner is not None and owner != account_id:
        raise Conflict("ce profil appartient déjà à un autre compte", field="candidate_id")


def create_account(session: Session, *, data: AccountIn, account_id: str | None = None) -> Account:
    _check_roles(session, data)
    row = AccountRow(
        id=account_id or f"acc_{secrets.token_hex(8)}",
        email=data.email,
        name=data.name,
        role=data.role.value,
        password_hash=hash_password(data.password),
        employer_ids=data.employer_ids if data.role is Role.RECRUITER else [],
        candidate_id=data.candidate_id,
        disabled=False,
    )
    try:
        with session.begin_nested():  # a concurrent create won the race: the unique indexes decide
            session.add(row)
    except IntegrityError:
        if data.candidate_id is not None:
            _check_profile_free(session, data.candidate_id)
        raise Conflict("un compte existe déjà pour cette adresse", field="email") from None
    return _account(row)


def list_accounts(session: Session) -> list[Account]:
    return [_account(r) for r in session.scalars(select(AccountRow).order_by(AccountRow.email))]


def get_account(session: Session, *, account_id: str) -> Account:
    row = session.get(AccountRow, account_id)
    if row is None:
        raise NotFound("compte", account_id)
    return _account(row)


def set_disabled(session: Session, *, account_id: str, disabled: bool) -> Account:
    """Disable (its tokens and page sessions end at once; enabling again does not revive them) or enable."""
    row = session.get(AccountRow, account_id)
    if row is None:
        raise NotFound("compte", account_id)
    if disabled and not row.disabled:
        end_sessions(session, account_id=account_id)
    row.disabled = disabled
    return _account(row)


def end_sessions(session: Session, *, account_id: str) -> None:
    """End every session of the account: page sessions and bearer tokens holding the current generation stop."""
    session.execute(
        update(AccountRow)
        .where(AccountRow.id == account_id)
        .values(session_generation=AccountRow.session_generation + 1)
        .execution_options(synchronize_session="fetch")
    )


def set_password(session: Session, *, account_id: str, password: str) -> None:
    """A new password; the account's page sessions end (whoever held one must sign in again)."""
    row = session.get(AccountRow, account_id)
    if row is None:
        raise NotFound("compte", account_id)
    row.password_hash = hash_password(password)
    end_sessions(session, account_id=account_id)


def link_profile(session: Session, *, account_id: str, candidate_id: str) -> None:
    """A job seeker who creates their profile becomes its owner."""
    row = session.get(AccountRow, account_id)
    if row is None:
        raise NotFound("compte", account_id)
    _check_profile_free(session, candidate_id, account_id=account_id)
    row.candidate_id = candidate_id


def authenticate(session: Session, *, email: str, password: str) -> AccountRow | None:
    """The enabled, verified account with these credentials, or None. Rehashes when argon2's parameters changed."""
    try:
        canonical: str | None = normalise_email(email)
    except InvalidEmail:
        canonical = None  # no account has it; still verify a hash below, so timing tells nothing
    row = session.scalar(select(AccountRow).where(AccountRow.email == canonical)) if canonical else None
    try:
        _hasher.verify(row.password_hash if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled or not row.email_verified:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    return row


def active_principal(session: Session, *, account_id: str, generation: int | None = None) -> Principal | None:
    """The principal of a still-enabled account (a token outlives nothing: disabling takes effect at once).

    ``generation``: the session generation a token was issued in; the token is over once the account's moved on.
    """
    found = session.execute(_PRINCIPAL, {"account_id": account_id}).first()
    if found is None or found.disabled or not found.email_verified:
        return None
    if generation is not None and found.session_generation != generation:
        return None
    return Principal(
        role=Role(found.role),
        subject=account_id,
        employer_ids=frozenset(found.employer_ids),
        candidate_id=found.candidate_id,
    )


# Every authenticated request reads these: the statement is built once (building it cost as much as running it).
_PRINCIPAL = select(
    AccountRow.role,
    AccountRow.employer_ids,
    AccountRow.candidate_id,
    AccountRow.disabled,
    AccountRow.email_verified,
    AccountRow.session_generation,
).where(AccountRow.id == bindparam("account_id"))


# --- partners and their keys -------------------------------------------------------------------


def create_partner(session: Session, *, data: PartnerIn, partner_id: str | None = None) -> PartnerOut:
    for position, employer_id in enumerate(data.employer_ids):
        if session.get(EmployerRow, employer_id) is None:
            raise InvalidInput(f"employer_ids.{position}", f"employeur inconnu : {employer_id}")
    row = PartnerRow(id=partner_id or f"prt_{secrets.token_hex(8)}", name=data.name, employer_ids=data.employer_ids)
    session.add(row)
    session.flush()
    return PartnerOut(id=row.id, name=row.name, employer_ids=list(row.employer_ids))


def list_partners(session: Session) -> list[PartnerOut]:
    rows = session.scalars(select(PartnerRow).order_by(PartnerRow.name))
    return [PartnerOut(id=r.id, name=r.name, employer_ids=list(r.employer_ids)) for r in rows]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _key_out(row: ApiKeyRow) -> ApiKeyOut:
    return ApiKeyOut(
        id=row.id, partner_id=row.partner_id, label=row.label, created_at=row.created_at, revoked_at=row.revoked_at
    )


def issue_key(session: Session, *, partner_id: str, label: str = "") -> IssuedKey:
    """A new key ``adk_<id>_<secret>``; the secret is returned here once and never stored."""
    if session.get(PartnerRow, partner_id) is None:
        raise NotFound("partenaire", partner_id)
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    row = ApiKeyRow(id=key_id, partner_id=partner_id, secret_hash=_digest(secret), label=label[:200])
    session.add(row)
    session.flush()
    return IssuedKey(**_key_out(row).model_dump(), key=f"{KEY_PREFIX}_{key_id}_{secret}")


def _key_row(session: Session, partner_id: str, key_id: str) -> ApiKeyRow:
    row = session.get(ApiKeyRow, key_id)
    if row is None or row.partner_id != partner_id:
        raise NotFound("clé", key_id)
    return row


def revoke_key(session: Session, *, partner_id: str, key_id: str) -> ApiKeyOut:
    row = _key_row(session, partner_id, key_id)
    row.revoked_at = row.revoked_at or datetime.now(UTC)
    return _key_out(row)


def rotate_key(session: Session, *, partner_id: str, key_id: str) -> IssuedKey:
    """Revoke a key and issue its replacement in one transaction."""
    old = _key_row(session, partner_id, key_id)
    revoke_key(session, partner_id=partner_id, key_id=key_id)
    return issue_key(session, partner_id=partner_id, label=old.label)


def list_keys(session: Session, *, partner_id: str) -> list[ApiKeyOut]:
    rows = session.scalars(select(ApiKeyRow).where(ApiKeyRow.partner_id == partner_id).order_by(ApiKeyRow.created_at))
    return [_key_out(r) for r in rows]


def partner_principal(session: Session, *, presented: str) -> Principal | None:
    """The partner behind a presented key, or None when it is malformed, unknown or revoked."""
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not key_id or not secret:
        return None
    row = session.get(ApiKeyRow, key_id)
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
        return None
    partner = session.get(PartnerRow, row.partner_id)
    if partner is None:
        return None
    return Principal(role=Role.PARTNER, subject=partner.id, employer_ids=frozenset(partner.employer_ids), key_id=row.id)


def delete_account(session: Session, *, account_id: str) -> None:
    """Remove an account and what only it owned (saved searches, alerts); idempotent."""
    session.execute(delete(SavedSearchRow).where(SavedSearchRow.account_id == account_id))
    session.execute(delete(NotificationRow).where(NotificationRow.account_id == account_id))
    row = session.get(AccountRow, account_id)
    if row is not None:
        session.delete(row)


# --- use cases: each owns its unit of work and checks who may act (the edges call these) -------


def _require_admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise Forbidden("réservé à l'administration")


def _employer_names(session: Session) -> dict[str, str]:
    return {
        id_: name for id_, name in session.execute(select(EmployerRow.id, EmployerRow.name).order_by(EmployerRow.name))
    }


def accounts_for(rt: Runtime, *, principal: Principal) -> list[Account]:
    _require_admin(principal)
    with rt.store.read() as session:
        return list_accounts(session)


@dataclass(frozen=True)
class AccountDirectory:
    """A page of the accounts an admin searched for, with the names of every employer (they act for some)."""

    accounts: Page[Account]
    employer_names: dict[str, str]


def account_directory(rt: Runtime, *, principal: Principal, query: str = "", page: int = 1) -> AccountDirectory:
    """Accounts whose e-mail or name holds the words of ``query`` (case and accents folded), a page at a time."""
    _require_admin(principal)
    with rt.store.read() as session:
        everyone, names = list_accounts(session), _employer_names(session)
    return AccountDirectory(page_of(everyone, query=query, names=lambda a: (a.email, a.name), page=page), names)


def open_account(rt: Runtime, *, principal: Principal, data: AccountIn) -> Account:
    """An admin creates an account (API and page alike)."""
    _require_admin(principal)
    with rt.store.transaction() as session:
        return create_account(session, data=data)


def switch_account(rt: Runtime, *, principal: Principal, account_id: str, disabled: bool) -> Account:
    """An admin disables (its tokens stop at once) or enables an account."""
    _require_admin(principal)
    with rt.store.transaction() as session:
        return set_disabled(session, account_id=account_id, disabled=disabled)


def own_account(rt: Runtime, *, principal: Principal) -> Account:
    """The caller's own account (``GET /me``)."""
    with rt.store.read() as session:
        return get_account(session, account_id=principal.subject)


@dataclass(frozen=True)
class SignedIn:
    """Who signed in: their principal, the name the pages greet them with, and the session generation."""

    principal: Principal
    name: str
    generation: int


def sign_in(rt: Runtime, *, email: str, password: str) -> SignedIn | None:
    """Check e-mail and password (token endpoint and sign-in page alike); None when they do not match."""
    if not email or not password:
        return None
    with rt.store.transaction() as session:  # a transaction: argon2 parameters may have changed (rehash)
        row = authenticate(session, email=email, password=password)
        return SignedIn(principal_of(row), row.name, row.session_generation) if row is not None else None


def principal_for_session(rt: Runtime, *, account_id: str, generation: int | None) -> Principal | None:
    """The principal of a page session, while its account is enabled and the session not ended."""
    with rt.store.read() as session:
        row = session.get(AccountRow, account_id)
        if row is None or row.disabled or not row.email_verified or row.session_generation != generation:
            return None
        return principal_of(row)


def sign_out(rt: Runtime, *, principal: Principal) -> None:
    """End the account's sessions: a copy of the cookie opens nothing any more, nor do its bearer tokens."""
    with rt.store.transaction() as session:
        end_sessions(session, account_id=principal.subject)


def change_password(rt: Runtime, *, principal: Principal, current: str, new: str) -> None:
    """The holder changes their password (the current one required); every page session ends.

    Raises:
        Unauthenticated: the current password is wrong.
        InvalidInput: the new one is shorter than 10 characters (``new_password``).
    """
    check_new_password(new, field="new_password")
    with rt.store.transaction() as session:
        row = session.get(AccountRow, principal.subject)
        try:
            _hasher.verify(row.password_hash if row else _dummy_hash(), current)
        except (VerificationError, InvalidHashError):
            raise Unauthenticated("mot de passe actuel incorrect") from None
        set_password(session, account_id=principal.subject, password=new)


def principal_for_account(rt: Runtime, *, account_id: str, generation: int | None = None) -> Principal | None:
    """The principal behind a token's subject (None: unknown, disabled, or the token's sessions ended)."""
    with rt.store.read() as session:
        return active_principal(session, account_id=account_id, generation=generation)


def principal_for_key(rt: Runtime, *, presented: str) -> Principal | None:
    """The partner behind a presented API key (None: malformed, unknown or revoked)."""
    with rt.store.read() as session:
        return partner_principal(session, presented=presented)


def partners_for(rt: Runtime, *, principal: Principal) -> list[PartnerOut]:
    _require_admin(principal)
    with rt.store.read() as session:
        return list_partners(session)


@dataclass(frozen=True)
class PartnerDirectory:
    """A page of the partner agencies an admin searched for, with the names of every employer."""

    partners: Page[PartnerOut]
    employer_names: dict[str, str]


def partner_directory(rt: Runtime, *, principal: Principal, query: str = "", page: int = 1) -> PartnerDirectory:
    """Partner agencies whose name holds the words of ``query`` (case and accents folded), a page at a time."""
    _require_admin(principal)
    with rt.store.read() as session:
        partners, names = list_partners(session), _employer_names(session)
    return PartnerDirectory(page_of(partners, query=query, names=lambda p: (p.name,), page=page), names)


def register_partner(rt: Runtime, *, principal: Principal, data: PartnerIn) -> PartnerOut:
    _require_admin(principal)
    with rt.store.transaction() as session:
        return create_partner(session, data=data)


@dataclass(frozen=True)
class PartnerKeys:
    partner: PartnerOut
    keys: list[ApiKeyOut]
    employer_names: dict[str, str]


def partner_keys(rt: Runtime, *, principal: Principal, partner_id: str) -> PartnerKeys:
    """A partner and its keys (never their secrets)."""
    _require_admin(principal)
    with rt.store.read() as session:
        row = session.get(PartnerRow, partner_id)
        if row is None:
            raise NotFound("partenaire", partner_id)
        partner = PartnerOut(id=row.id, name=row.name, employer_ids=list(row.employer_ids))
        return PartnerKeys(partner, list_keys(session, partner_id=partner_id), _employer_names(session))


def issue_partner_key(rt: Runtime, *, principal: Principal, partner_id: str, label: str = "") -> IssuedKey:
    """A new key, shown once in what this returns."""
    _require_admin(principal)
    with rt.store.transaction() as session:
        return issue_key(session, partner_id=partner_id, label=label)


def revoke_partner_key(rt: Runtime, *, principal: Principal, partner_id: str, key_id: str) -> ApiKeyOut:
    _require_admin(principal)
    with rt.store.transaction() as session:
        return revoke_key(session, partner_id=partner_id, key_id=key_id)


def rotate_partner_key(rt: Runtime, *, principal: Principal, partner_id: str, key_id: str) -> IssuedKey:
    """Revoke a key and issue its replacement, in one transaction."""
    _require_admin(principal)
    with rt.store.transaction() as session:
        return rotate_key(session, partner_id=partner_id, key_id=key_id)
