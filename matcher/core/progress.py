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
        self._first: dict[str, tuple[float, int]] = {}  # step -> (when it first reported, how much was done)

    def __call__(self, step: str, done: int, total: int) -> None:
        now = time.perf_counter()
        since, done_then = self._first.setdefault(step, (now, done))
        percent = 100 * done / total if total else 100
        # The rate counts from the step's first report: the work before it has no known duration.
        rate = f"{(done - done_then) / (now - since):8.0f}/s" if done > done_then and now > since else " " * 10
        end = "\n" if done >= total else ""
        self.stream.write(f"\r  {step:<14} {done:>7}/{total:<7} {percent:5.1f} %  {rate}{end}")
        self.stream.flush()
