"""The SMTP sender against a real SMTP server (aiosmtpd on a local port): what arrives, and what is refused."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from matcher.catalog.candidates import create_candidate
from matcher.catalog.employers import create_employer
from matcher.core.models import EmployerIn
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.jobs.deadletters import list_dead_letters
from matcher.jobs.runner import InProcessRunner, process_outbox
from matcher.jobs.tasks import Dead, Done, Retry, run_job
from matcher.notify.senders import Message, SmtpSender, sender_from_settings
from matcher.runtime import Runtime
from matcher.store.tables import AccountRow, NotificationRow, SavedSearchRow
from tests.factories import add_offers, candidate_in

REFUSED = "parti@example.org"
GREYLISTED = "plus-tard@example.org"


@dataclass
class Mailbox:
    """An aiosmtpd handler: keeps what it accepted, refuses one recipient as an unknown mailbox (550) and
    puts off another (451, as greylisting does)."""

    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # every recipient proposed

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        self.asked.append(address)
        if address == REFUSED:
            return "550 5.1.1 Boîte inconnue"
        if address == GREYLISTED:
            return "451 4.7.1 Réessayez plus tard"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on a free local port (no STARTTLS: the production setting verifies certificates)."""
    with socket.socket() as probe:  # a free port (the controller checks its server by connecting to it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(tmp_path: Path, smtp_server: tuple[Mailbox, int]) -> MatcherSettings:
    return MatcherSettings(
        data_dir=tmp_path,
        embedder="hashing",
        mail_sender="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server[1],
        mail_from="Approche directe <alertes@approche-directe.example>",
        task_max_retries=1,
        task_backoff_s=0.01,
        task_backoff_max_s=0.02,
    )


def test_the_message_arrives_whole_in_utf8(smtp_server: tuple[Mailbox, int], smtp_settings: MatcherSettings) -> None:
    mailbox, _ = smtp_server
    sender = sender_from_settings(smtp_settings)
    assert isinstance(sender, SmtpSender) and sender.channel == "smtp"
    text = "Bonjour Zoé,\n\n2 nouvelle(s) offre(s) : « Agent·e d'entretien » à Privas — été 2026.\n"
    sender.send(Message(key="digest-acc_1-2026-01-05", to="zoe@example.org", subject="Vos offres – été", text=text))

    [(mail_from, rcpt_tos, message)] = mailbox.received
    assert mail_from == "alertes@approche-directe.example" and rcpt_tos == ["zoe@example.org"]
    assert message["From"] == "Approche directe <alertes@approche-directe.example>"
    assert message["To"] == "zoe@example.org"
    assert message["Subject"] == "Vos offres – été"  # encoded on the wire, decoded back whole
    assert message["Message-ID"] == "<digest-acc_1-2026-01-05@approche-directe>"
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n") == text  # SMTP lines end in CRLF on the wire


def test_production_starttls_verifies_the_certificate(smtp_settings: MatcherSettings) -> None:
    """The local server speaks no TLS; with STARTTLS on (production) the sender refuses to go on in clear."""
    sender = SmtpSender(smtp_settings.model_copy(update={"smtp_starttls": True}))
    with pytest.raises(OSError, match="STARTTLS"):
        sender.send(Message(key="k", to="zoe@example.org", subject="s", text="t"))


def _seeker(rt: Runtime, name: str, email_address: str) -> None:
    with rt.store.transaction() as session:
        refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
        candidate_id = create_candidate(session, data=candidate_in(visibility="private"), **refs).id
        session.add(
            AccountRow(
                id=f"acc_{name}",
                email=email_address,
                name=name,
                role="seeker",
                password_hash="x",
                candidate_id=candidate_id,
            )
        )
        session.add(
            SavedSearchRow(
                id=f"al_{name}",
                account_id=f"acc_{name}",
                kind="offers",
                name="Alerte jardinier",
                query="jardinier",
                filters={},
                frequency="daily",
                created_at=MONDAY - timedelta(days=1),
            )
        )


MONDAY = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


@pytest.fixture
def smtp_rt(smtp_settings: MatcherSettings) -> Iterator[Runtime]:
    """A runtime sending its mail to the local SMTP server."""
    rt = Runtime.open(smtp_settings, embedder=HashingEmbedder())
    rt.ensure_indices()
    try:
        yield rt
    finally:
        rt.close()


def _digests_run(rt: Runtime, settings: MatcherSettings) -> list[Any]:
    """The digests task as the worker runs it, retries included; its outcomes."""
    runner = InProcessRunner(rt)
    outcomes: list[Any] = []
    with time_machine.travel(MONDAY, tick=True):
        for attempt in range(settings.task_max_retries + 1):
            outcomes.append(run_job(runner.context, "matcher.send_digests", [], attempt=attempt))
            if not isinstance(outcomes[-1], Retry):
                break
    return outcomes


def _with_offers(rt: Runtime, *seekers: tuple[str, str]) -> None:
    for name, address in seekers:
        _seeker(rt, name, address)
    with time_machine.travel(MONDAY - timedelta(hours=3), tick=False):
        with rt.store.transaction() as session:
            employer_id = create_employer(session, data=EmployerIn(name="Commune d'Aubenas", kind="commune")).id
        add_offers(rt, 2, employer_id=employer_id)
        process_outbox(rt)


def test_a_refused_recipient_is_recorded_not_retried_and_the_others_are_delivered(
    smtp_server: tuple[Mailbox, int], smtp_settings: MatcherSettings, smtp_rt: Runtime
) -> None:
    mailbox, rt = smtp_server[0], smtp_rt
    _with_offers(rt, ("camille", "camille@example.org"), ("parti", REFUSED))
    [outcome] = _digests_run(rt, smtp_settings)
    assert isinstance(outcome, Done) and outcome.result["refused"] == 1 and outcome.result["sent"] == 1
    # A second run (the next hour's) does not knock at the refused address again.
    assert isinstance(_digests_run(rt, smtp_settings)[0], Done)
    with rt.store.read() as session:
        assert list_dead_letters(session) == []
        [refused] = session.query(NotificationRow).filter(NotificationRow.refused_at.is_not(None)).all()
    assert refused.account_id == "acc_parti" and refused.sent_at is None
    assert refused.refusal and "550" in refused.refusal and REFUSED not in refused.refusal  # address masked
    assert mailbox.asked.count(REFUSED) == 1
    # The other seeker got their digest, once.
    assert [(rcpt_tos, message["Subject"]) for _, rcpt_tos, message in mailbox.received] == [
        (["camille@example.org"], "2 nouvelle(s) offre(s) pour vos alertes")
    ]


def test_a_recipient_put_off_for_now_is_retried_then_ends_in_the_dead_letters(
    smtp_server: tuple[Mailbox, int], smtp_settings: MatcherSettings, smtp_rt: Runtime
) -> None:
    mailbox, rt = smtp_server[0], smtp_rt
    _with_offers(rt, ("camille", "camille@example.org"), ("greylisted", GREYLISTED))
    outcomes = _digests_run(rt, smtp_settings)
    assert isinstance(outcomes[0], Retry) and isinstance(outcomes[-1], Dead)
    with rt.store.read() as session:
        [letter] = list_dead_letters(session)
        unsent = [n.account_id for n in session.query(NotificationRow).filter(NotificationRow.sent_at.is_(None))]
        refused = session.query(NotificationRow).filter(NotificationRow.refused_at.is_not(None)).count()
    assert letter.task == "matcher.send_digests" and "DigestsIncomplete" in letter.error
    assert unsent == ["acc_greylisted"] and refused == 0  # kept, to be sent by a later run
    assert mailbox.asked.count(GREYLISTED) == len(outcomes)
    assert [rcpt_tos for _, rcpt_tos, _ in mailbox.received] == [["camille@example.org"]]
