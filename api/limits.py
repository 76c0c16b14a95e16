"""Request limits: a per-caller rate limit (token bucket) and a cap on body sizes.

The rate limit lives in this process by default (one API process: the embedded default). With a
broker configured (Redis), the buckets live in Redis instead, so several API processes, on one
machine or several, enforce one limit together.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    updated: float


class Limiter(Protocol):
    def check(self, key: str) -> None:
        """Take one token from ``key``'s bucket, or raise :class:`RateLimited`."""
        ...


class RateLimiter:
    """``limit`` requests per key per ``period_s`` (a minute unless said) on average, with bursts of up to
    that many (this process only)."""

    def __init__(self, limit: int, *, period_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(limit)
        self.rate = limit / period_s
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self.max_keys = 100_000

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled: forgetting them changes nothing (keys are caller-chosen)."""
        refill = self.capacity / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < refill}

    def check(self, key: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._buckets) > self.max_keys:
                self._forget_full(now)
            bucket = self._buckets.setdefault(key, _Bucket(self.capacity, now))
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens < 1:
                raise RateLimited(max(1, math.ceil((1 - bucket.tokens) / self.rate)))
            bucket.tokens -= 1


# The same token bucket as RateLimiter, atomically in Redis, on Redis's clock (one clock for every process).
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or capacity
local updated = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - updated) * rate)
local wait = 0
if tokens < 1 then
  wait = math.max(1, math.ceil((1 - tokens) / rate))
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return wait
"""


class RedisRateLimiter:
    """:class:`RateLimiter`'s bucket shared by every API process through Redis (keys expire once refilled)."""

    def __init__(self, client: Any, name: str, limit: int, *, period_s: float = 60.0) -> None:
        self.capacity = float(limit)
        self.rate = limit / period_s
        self.prefix = f"matcher:ratelimit:{name}:"
        self._take = client.register_script(_TAKE)
        # Redis out of reach: this process keeps limiting on its own (each process its share) rather than
        # refusing every request or letting every one through.
        self._fallback = RateLimiter(limit, period_s=period_s)

    def check(self, key: str) -> None:
        import redis

        try:
            wait = int(self._take(keys=[self.prefix + key], args=[self.capacity, self.rate]))
        except redis.RedisError:
            self._fallback.check(key)
            return
        if wait:
            raise RateLimited(wait)


def limiter(name: str, limit: int, *, redis_url: str | None, period_s: float = 60.0) -> Limiter:
    """The limiter the app uses: shared through Redis when a broker URL is configured, else in this process.

    ``limit`` requests per ``period_s`` seconds per key (a minute unless said).
    """
    if not redis_url:
        return RateLimiter(limit, period_s=period_s)
    import redis

    return RedisRateLimiter(redis.Redis.from_url(redis_url), name, limit, period_s=period_s)


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text)


class AddressCheck:
    """Refuses a request whose path or query carries a control character (``%00`` and the like): no id, word or
    filter ever contains one, and some stores refuse them outright (PostgreSQL: NUL in a string)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            fields = [("path", scope["path"])] + [
                (f"query.{name}", f"{name}{value}") for name, value in parse_qsl(query, keep_blank_values=True)
            ]
            wrong = [field for field, text in fields if _has_control(text)]
            if wrong:
                body = json.dumps(
                    {
                        "type": "about:blank",
                        "title": "Adresse invalide",
                        "status": 400,
                        "detail": "L'adresse de la requête contient un caractère de contrôle.",
                        "errors": [{"field": field, "message": "caractère de contrôle interdit"} for field in wrong],
                    },
                    ensure_ascii=False,
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [
                            (b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse bodies above ``default`` bytes (``bulk`` on bulk paths), declared or streamed, with 413."""

    def __init__(self, app: ASGIApp, *, default: int, bulk: int, bulk_prefixes: tuple[str, ...]) -> None:
        self.app, self.default, self.bulk, self.bulk_prefixes = app, default, bulk, bulk_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.bulk if path.startswith(self.bulk_prefixes) else self.default
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received, exceeded, answered, started = 0, False, False, False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # The route may turn the error raised while it read the body into its own answer (FastAPI
            # answers 400 "error parsing the body"): once the body is over the limit, the answer is 413.
            nonlocal answered, started
            if not exceeded or started:
                started = started or message["type"] == "http.response.start"
                await send(message)
            elif not answered:
                answered = True
                await _too_large(send, limit)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            if not answered:
                answered = True
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    import json

    body = json.dumps(
        {
            "type": "/problems/too-large",
            "title": "Requête trop volumineuse",
            "status": 413,
            "detail": f"Le corps de la requête dépasse {limit} octets.",
        }
    ).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
