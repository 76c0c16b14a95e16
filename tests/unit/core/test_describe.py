"""An error's description is logged and kept in the dead letters: it never carries an e-mail address."""

from __future__ import annotations

import smtplib

from matcher.core.retry import describe


def test_addresses_are_masked_and_the_rest_kept() -> None:
    refused = smtplib.SMTPRecipientsRefused({"jean.dupont@mairie-privas.fr": (550, b"no such user")})
    text = describe(refused)
    assert "jean.dupont" not in text and "mairie-privas.fr" not in text
    assert text.startswith("SMTPRecipientsRefused: ") and "<adresse>" in text and "550" in text


def test_descriptions_are_bounded() -> None:
    assert len(describe(RuntimeError("x" * 10_000))) == 2000
