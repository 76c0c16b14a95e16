"""Progress lines: the rate counts from a step's first report, never from work of unknown duration; a log gets a few
whole lines, not one carriage-returned update per batch."""

from __future__ import annotations

import io
import time

from matcher.core.progress import ProgressPrinter


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_first_report_shows_no_rate_and_later_ones_a_true_one() -> None:
    out = Terminal()
    progress = ProgressPrinter(out, interval=0)
    progress("reconstruction", 512, 2048)  # a first batch already done: how long it took is unknown
    first = out.getvalue()
    assert first.startswith("\r") and "512/2048" in first and "/s" not in first
    time.sleep(0.05)
    progress("reconstruction", 1024, 2048)
    rate = float(out.getvalue().rsplit("%", 1)[1].split("/s")[0])
    assert 0 < rate <= 512 / 0.05  # 512 more in at least 50 ms
    progress("reconstruction", 2048, 2048)
    assert out.getvalue().endswith("/s\n")


def test_a_log_gets_whole_lines_first_and_last_always_the_rest_throttled() -> None:
    out = io.StringIO()  # not a terminal: a file or a pipe
    progress = ProgressPrinter(out)
    for done in range(0, 1001, 10):
        progress("corpus", done, 1000)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 2  # the first report, and the last: the loop took well under the log interval
    assert "0/1000" in lines[0] and lines[1].split()[1] == "1000/1000"
    progress("évaluation", 1, 3)  # another step has its own first line
    assert out.getvalue().splitlines()[-1].split()[:2] == ["évaluation", "1/3"]


def test_a_terminal_line_is_redrawn_at_most_every_interval() -> None:
    out = Terminal()
    progress = ProgressPrinter(out, interval=60)
    for done in range(1, 101):
        progress("indexation", done, 100)
    assert out.getvalue().count("\r") == 2  # first and last
