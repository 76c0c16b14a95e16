"""Short claims on pending work, so that one piece of work is handed to one task at a time.

A lease expires on its own: work whose task died (worker killed, message lost) is handed out again
once its lease has run out. In the embedded default the claims live in this process; with a broker
they live in Redis, shared by the API processes, the workers and the beat.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Protocol


class Leases(Protocol):
    def claim(self, keys: Sequence[str], ttl_s: float) -> list[str]:
        """The keys that were free, now claimed for ``ttl_s`` seconds."""
        ...

    def extend(self, keys: Sequence[str], ttl_s: float) -> None:
        """Hold these keys ``ttl_s`` seconds from now (a task retrying later keeps its work)."""
        ...

    def release(self, keys: Sequence[str]) -> None: ...


class MemoryLeases:
    """Leases of this process (the embedded runner)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, keys: Sequence[str], ttl_s: float) -> list[str]:
        now = time.monotonic()
        with self._lock:
            free = [k for k in keys if self._until.get(k, 0.0) <= now]
            for key in free:
                self._until[key] = now + ttl_s
            return free

    def extend(self, keys: Sequence[str], ttl_s: float) -> None:
        until = time.monotonic() + ttl_s
        with self._lock:
            for key in keys:
                self._until[key] = until

    def release(self, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                self._until.pop(key, None)


class RedisLeases:
    """Leases in Redis (``SET key NX PX ttl``): one pipeline round trip per call."""

    def __init__(self, url: str, *, namespace: str = "matcher") -> None:
        import redis

        self.PREFIX = f"{namespace}:lease:"
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    def claim(self, keys: Sequence[str], ttl_s: float) -> list[str]:
        if not keys:
            return []
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.set(self.PREFIX + key, b"1", nx=True, px=max(1, int(ttl_s * 1000)))
        return [k for k, ok in zip(keys, pipe.execute(), strict=True) if ok]

    def extend(self, keys: Sequence[str], ttl_s: float) -> None:
        if keys:
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.set(self.PREFIX + key, b"1", px=max(1, int(ttl_s * 1000)))
            pipe.execute()

    def release(self, keys: Sequence[str]) -> None:
        if keys:
            self.client.delete(*(self.PREFIX + k for k in keys))
