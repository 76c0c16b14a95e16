"""Job seekers sign up themselves, confirm their address, and choose a new password when they forgot it.

Every answer is the same whether an address has an account or not (no enumeration): a sign-up with
an address already taken mails its holder that they have an account; a reset request for an unknown
address mails nobody. Each e-mail is an outbox row written in the transaction of the change, sent by
the ``account`` task (:mod:`matcher.notify.account_mail`).

Mailed links are single-use and expire. Their secret is derived from the link's row id with a key of
its own (from the token signing key); the store keeps only a SHA-256 of it, so a copy of the database
opens nothing, and the mail task can write the link after the commit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.access.accounts import Role, check_new_password, delete_account, end_sessions, hash_password
from matcher.access.emails import parse_email
from matcher.access.tokens import signing_key
from matcher.core import text
from matcher.core.errors import InvalidInput
from matcher.core.outbox import enqueue
from matcher.core.settings import MatcherSettings
from matcher.store.tables import AccountRow, AccountTokenRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

TOPIC = "account"  # outbox rows of the e-mails below
MAX_TOKEN_LENGTH = 100  # a link's secret is 43 characters: anything much longer is not one of ours
INVALID_LINK = "ce lien n'est pas valable : il a expiré, a déjà servi ou a été remplacé par un lien plus récent"


class Purpose(StrEnum):
    VERIFY = "verify"  # confirm the address of a new account
    RESET = "reset"  # choose a new password


class Mail(StrEnum):
    """What an ``account`` outbox row owes (its ``action``)."""

    VERIFY = "verify"  # the link confirming the address (entity: the link's row id)
    RESET = "reset"  # the link to choose a new password (entity: the link's row id)
    EXISTS = "exists"  # someone signed up with an address that has an account (entity: the account id)


def _link_key(settings: MatcherSettings) -> bytes:
    # A key of its own: a link's secret can never pass for a session, a bearer token or an approach link.
    return hmac.new(signing_key(settings).encode(), b"account-links", hashlib.sha256).digest()


def link_secret(settings: MatcherSettings, token_id: str) -> str:
    """The secret a mailed link carries for the link row ``token_id`` (URL-safe, 43 characters)."""
    mac = hmac.new(_link_key(settings), token_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def verification_url(settings: MatcherSettings, token_id: str) -> str:
    return f"{settings.public_url.rstrip('/')}/inscription/verifier?jeton={link_secret(settings, token_id)}"


def reset_url(settings: MatcherSettings, token_id: str) -> str:
    return f"{settings.public_url.rstrip('/')}/mot-de-passe/nouveau?jeton={link_secret(settings, token_id)}"


def _issue(session: Session, settings: MatcherSettings, *, account_id: str, purpose: Purpose, now: datetime) -> str:
    """A new link for the account, replacing its unused links of the same purpose; returns the link's row id."""
    _retire(session, account_id=account_id, purpose=purpose, now=now)
    token_id = secrets.token_hex(16)
    lifetime = (
        timedelta(hours=settings.verification_link_hours)
        if purpose is Purpose.VERIFY
        else timedelta(minutes=settings.reset_link_minutes)
    )
    session.add(
        AccountTokenRow(
            id=token_id,
            account_id=account_id,
            purpose=purpose.value,
            digest=_digest(link_secret(settings, token_id)),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    enqueue(session, topic=TOPIC, entity_id=token_id, version=0, action=purpose.value)
    return token_id


def _retire(session: Session, *, account_id: str, purpose: Purpose, now: datetime) -> None:
    session.execute(
        update(AccountTokenRow)
        .where(
            AccountTokenRow.account_id == account_id,
            AccountTokenRow.purpose == purpose.value,
            AccountTokenRow.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def _live_link(session: Session, secret: str, purpose: Purpose, now: datetime) -> AccountTokenRow | None:
    """The unused, unexpired link of this purpose that ``secret`` opens, if any."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    row = session.scalar(select(AccountTokenRow).where(AccountTokenRow.digest == _digest(secret)))
    if row is None or row.purpose != purpose.value or row.used_at is not None or row.expires_at <= now:
        return None
    return row


def _consume(session: Session, secret: str, purpose: Purpose, now: datetime) -> AccountRow:
    """Use a link once: of two requests presenting it at the same time, exactly one gets the account.

    Raises:
        InvalidInput: the link is unknown, expired, already used or replaced (``token``).
    """
    row = _live_link(session, secret, purpose, now)
    account = session.get(AccountRow, row.account_id) if row is not None else None
    if row is None or account is None:
        raise InvalidInput("token", INVALID_LINK)
    taken = session.execute(
        update(AccountTokenRow)
        .where(AccountTokenRow.id == row.id, AccountTokenRow.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:  # another request used it first
        raise InvalidInput("token", INVALID_LINK)
    return account


# --- use cases -----------------------------------------------------------------------------------


def sign_up(rt: Runtime, *, email: str, name: str, password: str, consent: bool, now: datetime | None = None) -> None:
    """A job seeker asks for an account; the answer never says whether the address already has one.

    A new address gets an account that cannot sign in yet, and an e-mail with the link that confirms
    it. An address whose account is still unconfirmed gets this request's name and password and a new
    link (earlier links stop working). An address with a confirmed account is mailed that it has one.

    Raises:
        InvalidInput: a malformed address (``email``), an empty name (``name``), a password outside the
            rules (``password``), or the information not accepted (``consent``).
    """
    canonical = parse_email(email, field="email")
    try:
        name = text.clean(name.strip(), one_line=True)
    except text.ControlCharacter as exc:
        raise InvalidInput("name", str(exc)) from None
    if not name or len(name) > 200:
        raise InvalidInput("name", "indiquez un nom ou un prénom (200 caractères au plus)")
    check_new_password(password, field="password")
    if not consent:
        raise InvalidInput("consent", "l'inscription demande d'accepter le traitement de vos données décrit ici")
    now = now or datetime.now(UTC)
    password_hash = hash_password(password)  # on every path: the time taken tells nothing either
    with rt.store.transaction() as session:
        existing = session.scalar(select(AccountRow).where(AccountRow.email == canonical))
        if existing is not None and existing.email_verified:
            enqueue(session, topic=TOPIC, entity_id=existing.id, version=0, action=Mail.EXISTS.value)
            return
        if existing is None:
            existing = AccountRow(
                id=f"acc_{secrets.token_hex(8)}",
                email=canonical,
                name=name,
                role=Role.SEEKER.value,
                password_hash=password_hash,
                employer_ids=[],
                candidate_id=None,
                disabled=False,
                email_verified=False,
                sign_up_consent_at=now,
                created_at=now,
            )
            try:
                with session.begin_nested():  # the unique address decides a race between two sign-ups
                    session.add(existing)
            except IntegrityError:
                return  # a sign-up for the same address committed meanwhile: its e-mail is on its way
        else:
            existing.name, existing.password_hash, existing.sign_up_consent_at = name, password_hash, now
        _issue(session, rt.settings, account_id=existing.id, purpose=Purpose.VERIFY, now=now)


def verify_email(rt: Runtime, *, token: str, now: datetime | None = None) -> str:
    """Confirm an address with the link mailed at sign-up; the account can sign in from now on.

    Returns:
        The confirmed address (to fill the sign-in form with).

    Raises:
        InvalidInput: the link is unknown, expired, already used or replaced (``token``).
    """
    now = now or datetime.now(UTC)
    with rt.store.transaction() as session:
        account = _consume(session, token, Purpose.VERIFY, now)
        account.email_verified = True
        return account.email


def request_password_reset(rt: Runtime, *, email: str, now: datetime | None = None) -> None:
    """Mail a link to choose a new password, when the address has an enabled account; otherwise nothing.

    The caller answers the same either way. A new link replaces the account's earlier ones.

    Raises:
        InvalidInput: a malformed address (``email``).
    """
    canonical = parse_email(email, field="email")
    now = now or datetime.now(UTC)
    with rt.store.transaction() as session:
        account = session.scalar(select(AccountRow).where(AccountRow.email == canonical))
        if account is not None and not account.disabled:
            _issue(session, rt.settings, account_id=account.id, purpose=Purpose.RESET, now=now)


def reset_password(rt: Runtime, *, token: str, password: str, now: datetime | None = None) -> str:
    """Set a new password with a mailed link; the account's page sessions end, and its address counts as
    confirmed (the link reached it).

    Returns:
        The account's address (to fill the sign-in form with).

    Raises:
        InvalidInput: a password outside the rules (``password``), or the link is unknown, expired,
            already used or replaced (``token``).
    """
    check_new_password(password, field="password")
    password_hash = hash_password(password)
    now = now or datetime.now(UTC)
    with rt.store.transaction() as session:
        account = _consume(session, token, Purpose.RESET, now)
        account.password_hash = password_hash
        account.email_verified = True
        _retire(session, account_id=account.id, purpose=Purpose.VERIFY, now=now)
        end_sessions(session, account_id=account.id)
        return account.email


def link_is_live(rt: Runtime, *, token: str, purpose: Purpose, now: datetime | None = None) -> bool:
    """Whether a link would still work (the pages say at once when it does not); changes nothing."""
    with rt.store.read() as session:
        return _live_link(session, token, purpose, now or datetime.now(UTC)) is not None


def forget_unverified(rt: Runtime, *, now: datetime) -> int:
    """Delete the accounts whose address is still unconfirmed ``unverified_account_days`` after their last
    sign-up request (the retention job); returns how many went."""
    cutoff = now - timedelta(days=rt.settings.unverified_account_days)
    recent_link = exists().where(
        AccountTokenRow.account_id == AccountRow.id,
        AccountTokenRow.purpose == Purpose.VERIFY.value,
        AccountTokenRow.created_at >= cutoff,
    )
    with rt.store.transaction() as session:
        stale = list(
            session.scalars(
                select(AccountRow.id).where(
                    AccountRow.email_verified.is_(False), AccountRow.created_at < cutoff, ~recent_link
                )
            )
        )
        for account_id in stale:
            delete_account(session, account_id=account_id)
        return len(stale)


@dataclass(frozen=True)
class AccountMail:
    """What an ``account`` outbox row asks to send, as read from the store when the task runs."""

    to: str
    kind: Mail
    link: str | None  # verify and reset: the link to follow
    expires_at: datetime | None


def mail_owed(rt: Runtime, *, entity_id: str, action: str, now: datetime | None = None) -> AccountMail | None:
    """The e-mail an ``account`` outbox row owes, or None when nothing is owed any more (the link was used,
    replaced or has expired, the account confirmed, erased or disabled meanwhile)."""
    now = now or datetime.now(UTC)
    kind = Mail(action)
    with rt.store.read() as session:
        if kind is Mail.EXISTS:
            account = session.get(AccountRow, entity_id)
            if account is None or not account.email_verified:
                return None
            return AccountMail(to=account.email, kind=kind, link=None, expires_at=None)
        link = session.get(AccountTokenRow, entity_id)
        if link is None or link.purpose != kind.value or link.used_at is not None or link.expires_at <= now:
            return None
        account = session.get(AccountRow, link.account_id)
        if account is None or account.disabled:
            return None
        url = verification_url(rt.settings, link.id) if kind is Mail.VERIFY else reset_url(rt.settings, link.id)
        return AccountMail(to=account.email, kind=kind, link=url, expires_at=link.expires_at)
