"""What a running task is given: the runtime, where to submit follow-up tasks, and the work claims."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from matcher.jobs.leases import Leases

if TYPE_CHECKING:
    from matcher.runtime import Runtime


class Executor(Protocol):
    def submit(self, name: str, args: list[Any]) -> None:
        """Run task ``name`` with ``args`` soon (in a worker, or here)."""
        ...


@dataclass
class Context:
    """What a running task may use: the runtime, where to submit follow-up tasks, the work claims."""

    rt: Runtime
    executor: Executor
    leases: Leases
