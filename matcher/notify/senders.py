"""How a message reaches a job seeker: SMTP, a signed webhook, or a JSON file (the embedded default)."""

from __future__ import annotations

import json
import re
import smtplib
import ssl
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from matcher.core.settings import MatcherSettings
from matcher.notify import webhooks


@dataclass(frozen=True)
class Message:
    key: str  # unique per message (account and period): file name, idempotency key for receivers
    to: str
    subject: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


def digest_key(account_id: str, period: str) -> str:
    """The key of an account's alert digest for a period (``2026-11-26`` or ``2026-W48``)."""
    return f"digest-{account_id}-{period}"


def account_mail_key(action: str, entity_id: str, row_id: int | str) -> str:
    """The key of an account's e-mail (``verify``, ``reset``: ``entity_id`` is the link; ``exists``: the account),
    unique per outbox row ``row_id`` that owes it."""
    return f"account-{action}-{entity_id}-{row_id}"


def approach_key(approach_id: str, action: str) -> str:
    """The key of a message about an approach (``sent`` to the person; ``accepted``… to the recruiter)."""
    return f"approach-{approach_id}-{action}"


def mail_folder(settings: MatcherSettings) -> Path:
    """Where the file sender writes messages."""
    return settings.data_dir / "outbox-mail"


def erase_messages(
    folder: Path, *, account_ids: Sequence[str] = (), link_ids: Sequence[str] = (), approach_ids: Sequence[str] = ()
) -> int:
    """Delete the message files written about a person (erasure): their accounts' digests and e-mails (those
    of their links too), the messages about their approaches; returns how many went.

    Matched by the exact shape of each key, so ``acc_1`` never takes ``acc_1-x``'s files.
    """
    if not folder.is_dir():
        return 0
    # Stand-ins for a key's variable parts (re.escape leaves them as they are), then what each may be.
    action, number, period = "\x00", "\x01", "\x02"
    variable = {action: "[a-z_]+", number: r"\d+", period: r"(?:\d{4}-\d{2}-\d{2}|\d{4}-W\d{2})"}

    def shape(key: str) -> str:
        escaped = re.escape(key)
        for stand_in, allowed in variable.items():
            escaped = escaped.replace(stand_in, allowed)
        return escaped

    shapes = [
        *(shape(digest_key(a, period)) for a in account_ids),
        *(shape(account_mail_key(action, entity, number)) for entity in [*account_ids, *link_ids]),
        *(shape(approach_key(a, action)) for a in approach_ids),
    ]
    if not shapes:
        return 0
    pattern = re.compile(rf"(?:{'|'.join(shapes)})\.(?:json|tmp)")
    removed = 0
    for path in folder.iterdir():
        if pattern.fullmatch(path.name):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


class Sender(Protocol):
    channel: str

    def send(self, message: Message) -> None:
        """Deliver or raise (``OSError`` and ``smtplib.SMTPException`` count as transient)."""
        ...


class FileSender:
    """Writes each message as ``<folder>/<key>.json``: what would have been sent, for local use and tests."""

    channel = "file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: Message) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{message.key}.json"
        staging = target.with_suffix(".tmp")
        staging.write_text(json.dumps(asdict(message), ensure_ascii=False, indent=2), encoding="utf-8")
        staging.replace(target)


class SmtpSender:
    channel = "smtp"

    def __init__(self, settings: MatcherSettings) -> None:
        self.settings = settings

    def send(self, message: Message) -> None:
        s = self.settings
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = s.mail_from, message.to, message.subject
        email["Message-ID"] = f"<{message.key}@approche-directe>"
        email.set_content(message.text)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.webhook_timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())  # check the server's certificate
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(email)


class WebhookSender:
    """Posts the message as signed JSON (same signature as the HR webhooks) to a mailing service."""

    channel = "webhook"

    def __init__(self, url: str, secret: str, *, timeout_s: float) -> None:
        self.url, self.secret, self.timeout_s = url, secret, timeout_s

    def send(self, message: Message) -> None:
        # delivery_id in the signed body: what a receiver's Verifier returns (the header is not signed)
        body = json.dumps({"delivery_id": message.key, **asdict(message)}, ensure_ascii=False).encode()
        headers = webhooks.signed_headers(
            self.secret, delivery_id=message.key, event="alert.digest", body=body, timestamp=int(time.time())
        )
        request = urllib.request.Request(self.url, data=body, method="POST", headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise OSError(f"HTTP {response.status}")


def sender_from_settings(settings: MatcherSettings) -> Sender:
    if settings.mail_sender == "smtp":
        return SmtpSender(settings)
    if settings.mail_sender == "webhook":
        if not settings.mail_webhook_url or not settings.mail_webhook_secret:
            raise ValueError("MATCHER_MAIL_WEBHOOK_URL et MATCHER_MAIL_WEBHOOK_SECRET sont requis")
        return WebhookSender(
            settings.mail_webhook_url,
            settings.mail_webhook_secret.get_secret_value(),
            timeout_s=settings.webhook_timeout_s,
        )
    return FileSender(mail_folder(settings))
