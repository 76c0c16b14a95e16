"""When a failed background task is tried again, and when it is given up (sent to the dead letters).

Transient failures (a backend, the store, a broker or a webhook receiver out of reach; work the
backend partly refused) are retried with exponential backoff; anything else is a bug or bad data,
retrying it would not help, so it goes to the dead letters at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class TransientError(Exception):
    """A failure that may well not happen again: retry later. Picklable (message only)."""


@dataclass(frozen=True)
class Done:
    result: dict[str, Any]


@dataclass(frozen=True)
class Retry:
    delay_s: float
    error: str


@dataclass(frozen=True)
class Dead:
    dead_letter_id: int
    error: str


Outcome = Done | Retry | Dead


def backoff_s(attempt: int, *, base_s: float, max_s: float) -> float:
    """Delay before retry number ``attempt + 1``: base, 2 × base, 4 × base… capped at ``max_s``."""
    return float(min(max_s, base_s * 2 ** min(attempt, 32)))


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` may well not happen again: something out of reach, not a bug or bad data.

    Named classes only: an ``OSError`` such as ``PermissionError`` or ``FileNotFoundError`` is a
    setup mistake, and a mail server's 5xx answer (a bad address) final; retrying them would not help.
    """
    import smtplib
    import socket
    import urllib.error

    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import DBAPIError, OperationalError

    from indices.errors import SearchUnavailable

    transient = (
        TransientError,  # ours: DeliveryFailed, IndexingIncomplete, DigestsIncomplete…
        SearchUnavailable,
        ConnectionError,  # refused, reset, aborted, broken pipe
        TimeoutError,  # socket.timeout too
        socket.gaierror,  # name resolution failing for now
        urllib.error.URLError,  # receiver out of reach (or answering an HTTP error)
        smtplib.SMTPServerDisconnected,
        smtplib.SMTPConnectError,
        RedisConnectionError,
        RedisTimeoutError,
        OperationalError,  # database locked, restarting or out of reach
    )
    if isinstance(exc, transient):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):  # every recipient refused: for now only if all said 4xx
        return bool(exc.recipients) and all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):  # 4xx: try later (greylisting, a full mailbox); 5xx: no
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


# An error's text may carry an address (an SMTP refusal names the recipient): it is kept in dead letters and
# logs, so addresses are masked before it goes anywhere.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def describe(exc: BaseException) -> str:
    """``Type: message`` of an error, bounded, with e-mail addresses masked (it is logged and stored)."""
    return _EMAIL.sub("<adresse>", f"{type(exc).__name__}: {exc}")[:2000]
