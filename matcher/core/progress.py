"""Progress lines for long steps, with the rate: one live line on a terminal, a few whole lines in a log."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

# Called as ``progress(step, done, total)`` by every long step.
Progress = Callable[[str, int, int], None]

TERMINAL_INTERVAL = 0.1  # seconds between redraws of a live line
LOG_INTERVAL = 10.0  # seconds between lines written to a file or a pipe (CI logs, `> out.txt`)


class ProgressPrinter:
    """Callable ``(step, done, total)`` printing e.g. ``indexation  1200/2744  44 %  310/s``.

    On a terminal the line is redrawn in place; elsewhere (a log file, a pipe) a whole line is written at most every
    ``LOG_INTERVAL`` seconds, so that a log keeps a readable trace instead of one carriage-returned update per batch.
    The first report and the last one of a step are always written."""

    def __init__(self, stream=sys.stderr, *, interval: float | None = None) -> None:  # type: ignore[no-untyped-def]
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.live = bool(isatty and isatty())
        self.interval = interval if interval is not None else (TERMINAL_INTERVAL if self.live else LOG_INTERVAL)
        self._first: dict[str, tuple[float, int]] = {}  # step -> (when it first reported, how much was done)
        self._written: dict[str, float] = {}  # step -> when its line was last written

    def __call__(self, step: str, done: int, total: int) -> None:
        now = time.perf_counter()
        since, done_then = self._first.setdefault(step, (now, done))
        finished = done >= total
        if not finished and step in self._written and now - self._written[step] < self.interval:
            return
        self._written[step] = now
        percent = 100 * done / total if total else 100
        # The rate counts from the step's first report: the work before it has no known duration.
        rate = f"{(done - done_then) / (now - since):8.0f}/s" if done > done_then and now > since else " " * 10
        line = f"  {step:<14} {done:>7}/{total:<7} {percent:5.1f} %  {rate}"
        if self.live:
            self.stream.write("\r" + line + ("\n" if finished else ""))
        else:
            self.stream.write(f"{line.rstrip()}\n")
        self.stream.flush()
