"""A job seeker's own sign-up, address confirmation and password reset: links used once, expiring, stored as
hashes only; the same answer whether an address has an account or not; nothing half-written."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from matcher.access import accounts, signup
from matcher.access.accounts import AccountIn, Role
from matcher.access.signup import Mail, Purpose
from matcher.catalog import candidates
from matcher.core.errors import InvalidInput
from matcher.core.models import CandidateIn
from matcher.governance import privacy
from matcher.notify import account_mail
from matcher.runtime import Runtime
from matcher.store.tables import AccountRow, AccountTokenRow, OutboxRow
from tests.factories import PASSWORD, candidate_body, count

pytestmark = pytest.mark.both_stores  # links used once and cascades: on PostgreSQL too (tests/conftest.py)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EMAIL = "nour.haddad@example.fr"


def _owed(rt: Runtime) -> list[tuple[str, str, str]]:
    """(action, entity id, recipient) of every pending ``account`` outbox row, oldest first."""
    with rt.store.read() as session:
        rows = session.scalars(select(OutboxRow).where(OutboxRow.topic == "account").order_by(OutboxRow.id))
        pending = [(r.action, r.entity_id, r.id) for r in rows if r.processed_at is None]
    out = []
    for action, entity_id, _ in pending:
        owed = signup.mail_owed(rt, entity_id=entity_id, action=action, now=NOW)
        out.append((action, entity_id, owed.to if owed else ""))
    return out


def _secret_of(rt: Runtime, action: str, *, now: datetime = NOW) -> str:
    """The secret of the latest link of this kind, read from the e-mail owed (as the person would)."""
    with rt.store.read() as session:
        row = session.scalars(
            select(OutboxRow).where(OutboxRow.topic == "account", OutboxRow.action == action).order_by(OutboxRow.id)
        ).all()[-1]
    owed = signup.mail_owed(rt, entity_id=row.entity_id, action=action, now=now)
    assert owed is not None and owed.link is not None
    return parse_qs(urlparse(owed.link).query)["jeton"][0]


def _sign_up(rt: Runtime, email: str = EMAIL, password: str = PASSWORD, **changes: object) -> None:
    values: dict[str, object] = {"email": email, "name": "Nour", "password": password, "consent": True, "now": NOW}
    signup.sign_up(rt, **{**values, **changes})  # type: ignore[arg-type]


def _account(rt: Runtime, email: str = EMAIL) -> AccountRow | None:
    with rt.store.read() as session:
        return session.scalar(select(AccountRow).where(AccountRow.email == email))


def test_a_new_seeker_confirms_the_address_then_signs_in(rt: Runtime) -> None:
    _sign_up(rt, email="  Nour.Haddad@EXAMPLE.fr ")
    account = _account(rt)
    assert account is not None and account.role == "seeker" and not account.email_verified
    assert account.sign_up_consent_at == NOW and account.candidate_id is None
    assert accounts.sign_in(rt, email=EMAIL, password=PASSWORD) is None  # not before the address is confirmed
    [(action, _, to)] = _owed(rt)
    assert (action, to) == ("verify", EMAIL)

    secret = _secret_of(rt, "verify")
    assert signup.verify_email(rt, token=secret, now=NOW + timedelta(hours=1)) == EMAIL
    signed_in = accounts.sign_in(rt, email=EMAIL, password=PASSWORD)
    assert signed_in is not None and signed_in.principal.role is Role.SEEKER


def test_the_store_keeps_only_a_hash_of_the_link(rt: Runtime) -> None:
    _sign_up(rt)
    secret = _secret_of(rt, "verify")
    with rt.store.read() as session:
        [row] = session.scalars(select(AccountTokenRow)).all()
        stored = [str(getattr(row, c.key)) for c in AccountTokenRow.__table__.columns]
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret in value for value in stored)
    assert row.expires_at == NOW + timedelta(hours=rt.settings.verification_link_hours)


def test_a_link_works_once(rt: Runtime) -> None:
    _sign_up(rt)
    secret = _secret_of(rt, "verify")
    signup.verify_email(rt, token=secret, now=NOW)
    with pytest.raises(InvalidInput) as again:
        signup.verify_email(rt, token=secret, now=NOW)
    assert again.value.field == "token"
    assert not signup.link_is_live(rt, token=secret, purpose=Purpose.VERIFY, now=NOW)


def test_a_link_expires(rt: Runtime) -> None:
    _sign_up(rt)
    secret = _secret_of(rt, "verify")
    expiry = NOW + timedelta(hours=rt.settings.verification_link_hours)
    assert signup.link_is_live(rt, token=secret, purpose=Purpose.VERIFY, now=expiry - timedelta(seconds=1))
    with pytest.raises(InvalidInput):
        signup.verify_email(rt, token=secret, now=expiry)
    assert not _account(rt).email_verified  # type: ignore[union-attr]
    assert signup.mail_owed(rt, entity_id=_owed(rt)[0][1], action="verify", now=expiry) is None  # nothing to send


def test_a_link_of_one_kind_never_serves_the_other(rt: Runtime) -> None:
    _sign_up(rt)
    secret = _secret_of(rt, "verify")
    with pytest.raises(InvalidInput):
        signup.reset_password(rt, token=secret, password="un tout autre mot de passe", now=NOW)
    for forged in ("", "x" * 500, secret[:-1] + ("A" if secret[-1] != "A" else "B")):
        with pytest.raises(InvalidInput):
            signup.verify_email(rt, token=forged, now=NOW)
    signup.verify_email(rt, token=secret, now=NOW)  # still unused


def test_signing_up_with_a_taken_address_mails_its_holder_and_changes_nothing(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        accounts.create_account(session, data=AccountIn(email=EMAIL, name="Nour", role=Role.SEEKER, password=PASSWORD))
    assert signup.sign_up(rt, email=EMAIL, name="Quelqu'un", password="autre mot de passe", consent=True) is None
    assert count(rt, AccountRow) == 1 and count(rt, AccountTokenRow) == 0
    [(action, _, to)] = _owed(rt)
    assert (action, to) == ("exists", EMAIL)
    assert accounts.sign_in(rt, email=EMAIL, password=PASSWORD) is not None
    assert accounts.sign_in(rt, email=EMAIL, password="autre mot de passe") is None


def test_signing_up_again_before_confirming_replaces_the_password_and_the_link(rt: Runtime) -> None:
    _sign_up(rt)
    first = _secret_of(rt, "verify")
    _sign_up(rt, password="le second mot de passe", name="Nour H.", now=NOW + timedelta(minutes=5))
    second = _secret_of(rt, "verify")
    assert count(rt, AccountRow) == 1
    with pytest.raises(InvalidInput):
        signup.verify_email(rt, token=first, now=NOW + timedelta(minutes=6))
    signup.verify_email(rt, token=second, now=NOW + timedelta(minutes=6))
    assert accounts.sign_in(rt, email=EMAIL, password=PASSWORD) is None
    signed_in = accounts.sign_in(rt, email=EMAIL, password="le second mot de passe")
    assert signed_in is not None and signed_in.name == "Nour H."


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "nour@"}, "email"),
        ({"name": "  "}, "name"),
        ({"name": "Nour\x00"}, "name"),
        ({"password": "court"}, "password"),
        ({"consent": False}, "consent"),
    ],
)
def test_a_refused_sign_up_names_the_field_and_writes_nothing(
    rt: Runtime, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _sign_up(rt, **changes)
    assert refused.value.field == field
    assert count(rt, AccountRow) == count(rt, AccountTokenRow) == count(rt, OutboxRow) == 0


def test_a_sign_up_that_fails_midway_leaves_nothing(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(signup, "enqueue", broken)
    with pytest.raises(RuntimeError):
        _sign_up(rt)
    assert count(rt, AccountRow) == count(rt, AccountTokenRow) == count(rt, OutboxRow) == 0


def test_a_reset_request_answers_alike_and_mails_only_an_existing_account(rt: Runtime) -> None:
    assert signup.request_password_reset(rt, email="personne@example.fr", now=NOW) is None
    assert count(rt, AccountTokenRow) == count(rt, OutboxRow) == 0
    with rt.store.transaction() as session:
        accounts.create_account(session, data=AccountIn(email=EMAIL, name="Nour", role=Role.SEEKER, password=PASSWORD))
    assert signup.request_password_reset(rt, email=EMAIL.upper(), now=NOW) is None
    [(action, _, to)] = _owed(rt)
    assert (action, to) == ("reset", EMAIL)
    with pytest.raises(InvalidInput) as malformed:
        signup.request_password_reset(rt, email="pas une adresse", now=NOW)
    assert malformed.value.field == "email"


def test_a_reset_sets_the_password_once_and_ends_the_sessions(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        account = accounts.create_account(
            session, data=AccountIn(email=EMAIL, name="Nour", role=Role.SEEKER, password=PASSWORD)
        )
    before = accounts.sign_in(rt, email=EMAIL, password=PASSWORD)
    assert before is not None
    signup.request_password_reset(rt, email=EMAIL, now=NOW)
    secret = _secret_of(rt, "reset")
    with pytest.raises(InvalidInput) as short:
        signup.reset_password(rt, token=secret, password="court", now=NOW)
    assert short.value.field == "password"
    assert signup.reset_password(rt, token=secret, password="un nouveau mot de passe", now=NOW) == EMAIL
    assert accounts.principal_for_session(rt, account_id=account.id, generation=before.generation) is None
    # A bearer token taken before the reset ends with it too.
    assert accounts.principal_for_account(rt, account_id=account.id, generation=before.generation) is None
    assert accounts.sign_in(rt, email=EMAIL, password=PASSWORD) is None
    assert accounts.sign_in(rt, email=EMAIL, password="un nouveau mot de passe") is not None
    with pytest.raises(InvalidInput):
        signup.reset_password(rt, token=secret, password="encore un autre mot de passe", now=NOW)


def test_a_reset_link_lasts_an_hour_and_a_newer_one_replaces_it(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        accounts.create_account(session, data=AccountIn(email=EMAIL, name="Nour", role=Role.SEEKER, password=PASSWORD))
    signup.request_password_reset(rt, email=EMAIL, now=NOW)
    first = _secret_of(rt, "reset")
    later = NOW + timedelta(minutes=rt.settings.reset_link_minutes)
    assert signup.link_is_live(rt, token=first, purpose=Purpose.RESET, now=later - timedelta(seconds=1))
    assert not signup.link_is_live(rt, token=first, purpose=Purpose.RESET, now=later)
    signup.request_password_reset(rt, email=EMAIL, now=NOW + timedelta(minutes=1))
    second = _secret_of(rt, "reset", now=NOW + timedelta(minutes=1))
    assert not signup.link_is_live(rt, token=first, purpose=Purpose.RESET, now=NOW + timedelta(minutes=2))
    signup.reset_password(rt, token=second, password="un nouveau mot de passe", now=NOW + timedelta(minutes=2))


def test_a_reset_confirms_an_unconfirmed_address(rt: Runtime) -> None:
    """The link reached the mailbox: that proves the address as well as the sign-up link would."""
    _sign_up(rt)
    signup.request_password_reset(rt, email=EMAIL, now=NOW)
    signup.reset_password(rt, token=_secret_of(rt, "reset"), password="mon propre mot de passe", now=NOW)
    assert _account(rt).email_verified  # type: ignore[union-attr]
    assert accounts.sign_in(rt, email=EMAIL, password="mon propre mot de passe") is not None


def test_unconfirmed_accounts_are_forgotten_after_the_delay(rt: Runtime) -> None:
    days = rt.settings.unverified_account_days
    _sign_up(rt, email="ancien@example.fr", now=NOW - timedelta(days=days + 1))
    _sign_up(rt, email="relance@example.fr", now=NOW - timedelta(days=days + 1))
    _sign_up(rt, email="relance@example.fr", now=NOW - timedelta(days=1))  # asked again since
    _sign_up(rt, email="confirme@example.fr", now=NOW - timedelta(days=days + 1))
    then = NOW - timedelta(days=days + 1)
    signup.verify_email(rt, token=_secret_of(rt, "verify", now=then), now=then)
    assert signup.forget_unverified(rt, now=NOW) == 1
    assert _account(rt, "ancien@example.fr") is None
    assert _account(rt, "relance@example.fr") is not None and _account(rt, "confirme@example.fr") is not None
    with rt.store.read() as session:  # its links went with it
        assert {t.account_id for t in session.scalars(select(AccountTokenRow))} == {
            _account(rt, "relance@example.fr").id,  # type: ignore[union-attr]
            _account(rt, "confirme@example.fr").id,  # type: ignore[union-attr]
        }


def test_the_mails_say_what_to_do_in_french(rt: Runtime) -> None:
    _sign_up(rt)
    [(action, token_id, _)] = _owed(rt)
    message = account_mail.prepare(rt, row_id=1, entity_id=token_id, action=action, now=NOW)
    assert message is not None and message.to == EMAIL
    assert "Confirmez votre adresse" in message.subject
    assert f"/inscription/verifier?jeton={_secret_of(rt, 'verify')}" in message.text
    signup.verify_email(rt, token=_secret_of(rt, "verify"), now=NOW)
    assert account_mail.prepare(rt, row_id=1, entity_id=token_id, action=action, now=NOW) is None  # used: owed no more

    _sign_up(rt)  # the address has a confirmed account now
    [(action, account_id, _)] = _owed(rt)[-1:]
    assert action == Mail.EXISTS.value
    told = account_mail.prepare(rt, row_id=2, entity_id=account_id, action=action, now=NOW)
    assert told is not None and told.subject == "Vous avez déjà un compte Approche directe"
    assert "/connexion" in told.text and "/mot-de-passe/oublie" in told.text and "jeton" not in told.text


def test_erasing_a_signed_up_seeker_takes_their_links_with_them(rt: Runtime) -> None:
    """An erasure deletes accounts in bulk: their links go too (ON DELETE CASCADE), on either store."""
    _sign_up(rt)
    signup.verify_email(rt, token=_secret_of(rt, "verify"), now=NOW)
    signed_in = accounts.sign_in(rt, email=EMAIL, password=PASSWORD)
    assert signed_in is not None
    profile = candidates.save_own_profile(
        rt, principal=signed_in.principal, data=CandidateIn.model_validate(candidate_body())
    )
    signup.request_password_reset(rt, email=EMAIL, now=NOW)
    assert count(rt, AccountTokenRow) == 2
    owner = accounts.principal_for_account(rt, account_id=signed_in.principal.subject)
    assert owner is not None and owner.candidate_id == profile.id
    privacy.erase_own_data(rt, principal=owner)
    assert count(rt, AccountRow) == count(rt, AccountTokenRow) == 0
