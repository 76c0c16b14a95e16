"""Progress lines for long steps, on one terminal line, with the rate."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

# Called as ``progress(step, done, total)`` by every long step.
Progress = Callable[[str, int, int], None]


class ProgressPrinter:
    """Callable ``(step, done, total)`` printing e.g. ``indexation  1200/2744  44 %  310/s``."""

    def __init__(self, stream=sys.stderr) -> None:  # type: ignore[no-untyped-def]
        self.stream = stream
        self._started: dict[str, float] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        started = self._started.setdefault(step, time.perf_counter())
        elapsed = max(time.perf_counter() - started, 1e-9)
        percent = 100 * done / total if total else 100
        end = "\n" if done >= total else ""
        self.stream.write(f"\r  {step:<14} {done:>7}/{total:<7} {percent:5.1f} %  {done / elapsed:8.0f}/s{end}")
        self.stream.flush()
