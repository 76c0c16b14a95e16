"""Signed, expiring one-click answer links: the token carries an opaque approach id and nothing else."""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from matcher.access.tokens import signing_key
from matcher.core.errors import NotFound
from matcher.core.settings import MatcherSettings

_SALT = "approach-answer"
_GRACE_S = 24 * 3600  # a link outlives its approach by a day: the page then says it expired, not "unknown"


def _serializer(settings: MatcherSettings) -> URLSafeTimedSerializer:
    # A key of its own, derived from the token signing key: a link can never pass for a session or a bearer token.
    key = hmac.new(signing_key(settings).encode(), b"approach-links", hashlib.sha256).hexdigest()
    return URLSafeTimedSerializer(key, salt=_SALT)


def answer_token(settings: MatcherSettings, approach_id: str) -> str:
    return _serializer(settings).dumps(approach_id)


def answer_url(settings: MatcherSettings, approach_id: str) -> str:
    return f"{settings.public_url.rstrip('/')}/approches/reponse/{answer_token(settings, approach_id)}"


def approach_of(settings: MatcherSettings, token: str) -> str:
    """The approach id a link names.

    Raises:
        NotFound: a forged, altered or expired link (the same answer for each, so nothing can be probed).
    """
    max_age = settings.approach_expiry_days * 24 * 3600 + _GRACE_S
    try:
        value = _serializer(settings).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        raise NotFound("lien de réponse", "expiré ou invalide") from None
    if not isinstance(value, str):
        raise NotFound("lien de réponse", "invalide")
    return value
