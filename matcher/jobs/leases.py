"""Short claims on pending work, so that one piece of work is handed to one task at a time.

A lease expires on its own: work whose task died (worker killed, message lost) is handed out again
once its lease has run out. In the embedded default the claims live in this process; with a broker
they live in Redis, shared by the API processes, the workers and the beat.

Each claim has an owner token (:func:`new_owner`), which travels with the task: extending and
releasing only touch keys that are free or held by that owner, so a task that outlived its lease
(its work since handed to another task) cannot release, or take over, the other task's claim. A task
handles one batch (``outbox_batch_size`` rows, or one delivery), far shorter than ``outbox_lease_s``,
so it does not renew its lease while it runs; a retry extends it until the retry is due.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Sequence
from typing import Protocol


def new_owner() -> str:
    """A fresh owner token for one claim."""
    return uuid.uuid4().hex


class Leases(Protocol):
    def claim(self, keys: Sequence[str], ttl_s: float, *, owner: str) -> list[str]:
        """The keys that were free, now claimed by ``owner`` for ``ttl_s`` seconds."""
        ...

    def extend(self, keys: Sequence[str], ttl_s: float, *, owner: str) -> None:
        """Hold these keys ``ttl_s`` seconds from now (a task retrying later keeps its work).

        Only keys that are free or already held by ``owner``: another owner's claim is left alone.
        """
        ...

    def release(self, keys: Sequence[str], *, owner: str) -> None:
        """Free the keys that ``owner`` holds (the others are left alone)."""
        ...


class MemoryLeases:
    """Leases of this process (the embedded runner)."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[float, str]] = {}  # key → (until, owner)
        self._lock = threading.Lock()

    def _free_or_mine(self, key: str, owner: str, now: float) -> bool:
        until, holder = self._held.get(key, (0.0, ""))
        return until <= now or holder == owner

    def claim(self, keys: Sequence[str], ttl_s: float, *, owner: str) -> list[str]:
        now = time.monotonic()
        with self._lock:
            free = [k for k in keys if self._held.get(k, (0.0, ""))[0] <= now]
            for key in free:
                self._held[key] = (now + ttl_s, owner)
            return free

    def extend(self, keys: Sequence[str], ttl_s: float, *, owner: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                if self._free_or_mine(key, owner, now):
                    self._held[key] = (now + ttl_s, owner)

    def release(self, keys: Sequence[str], *, owner: str) -> None:
        with self._lock:
            for key in keys:
                if key in self._held and self._held[key][1] == owner:
                    del self._held[key]


_of_store: weakref.WeakKeyDictionary[object, MemoryLeases] = weakref.WeakKeyDictionary()
_of_store_lock = threading.Lock()


def process_leases(store: object) -> MemoryLeases:
    """This process's claims on one store's work, shared by every in-process runner over it.

    Two runners in one process (an app and a command, or a runner left to the garbage collector) must
    not each hand out the same outbox row: one e-mail would go twice.
    """
    with _of_store_lock:
        leases = _of_store.get(store)
        if leases is None:
            leases = _of_store[store] = MemoryLeases()
        return leases


# KEYS: the leases; ARGV: owner, ttl in ms. Set each key that is free or already the owner's.
_EXTEND = """
for _, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if (not holder) or holder == ARGV[1] then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
  end
end
return 0
"""
# KEYS: the leases; ARGV: owner. Delete each key the owner holds.
_RELEASE = """
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    n = n + redis.call('DEL', key)
  end
end
return n
"""


class RedisLeases:
    """Leases in Redis (``SET key owner NX PX ttl``; extend and release compare the owner in a Lua script)."""

    def __init__(self, url: str, *, namespace: str = "matcher") -> None:
        import redis

        self.PREFIX = f"{namespace}:lease:"
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._extend = self.client.register_script(_EXTEND)
        self._release = self.client.register_script(_RELEASE)

    def claim(self, keys: Sequence[str], ttl_s: float, *, owner: str) -> list[str]:
        if not keys:
            return []
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.set(self.PREFIX + key, owner.encode(), nx=True, px=max(1, int(ttl_s * 1000)))
        return [k for k, ok in zip(keys, pipe.execute(), strict=True) if ok]

    def extend(self, keys: Sequence[str], ttl_s: float, *, owner: str) -> None:
        if keys:
            self._extend(keys=[self.PREFIX + k for k in keys], args=[owner, max(1, int(ttl_s * 1000))])

    def release(self, keys: Sequence[str], *, owner: str) -> None:
        if keys:
            self._release(keys=[self.PREFIX + k for k in keys], args=[owner])
