"""Bearer tokens for people: short-lived JWTs, HS256 only, with audience and expiry always checked.

The algorithm is fixed on both sides, so a token announcing ``alg: none`` or another algorithm is
refused before its signature is even looked at.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import jwt

from matcher.core.settings import MatcherSettings

ALGORITHM = "HS256"
ISSUER = "approche-directe"


def signing_key(settings: MatcherSettings) -> str:
    """The configured secret, or one generated on first use and kept readable by this user only."""
    if settings.auth_secret is not None:
        return settings.auth_secret.get_secret_value()
    return _secret_file(settings.data_dir / "auth-secret")


@cache
def _secret_file(path: Path) -> str:
    """Read once per process (every request checks a token)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def issue(
    settings: MatcherSettings, *, subject: str, generation: int = 0, now: datetime | None = None
) -> tuple[str, int]:
    """A signed token for ``subject`` (an account id) and its lifetime in seconds.

    ``generation``: the account's session generation now; the token ends with it (a new password, a sign-out,
    a disabled account end every session, tokens included).
    """
    now = now or datetime.now(UTC)
    lifetime = settings.token_minutes * 60
    claims = {
        "sub": subject,
        "gen": generation,
        "aud": settings.token_audience,
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(seconds=lifetime),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM), lifetime


def subject_of(settings: MatcherSettings, token: str) -> tuple[str, int] | None:
    """The account id a valid token speaks for and the session generation it was issued in, or None (bad
    signature, algorithm, audience, expired, or issued before tokens carried a generation…)."""
    try:
        claims = jwt.decode(
            token,
            signing_key(settings),
            algorithms=[ALGORITHM],
            audience=settings.token_audience,
            issuer=ISSUER,
            options={"require": ["exp", "aud", "iss", "sub", "gen"]},
        )
    except jwt.PyJWTError:
        return None
    subject, generation = claims.get("sub"), claims.get("gen")
    if not isinstance(subject, str) or type(generation) is not int:
        return None
    return subject, generation
