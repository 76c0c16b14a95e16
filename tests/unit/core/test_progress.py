"""Progress lines: the rate counts from a step's first report, never from work of unknown duration."""

from __future__ import annotations

import io
import time

from matcher.core.progress import ProgressPrinter


def test_the_first_report_shows_no_rate_and_later_ones_a_true_one() -> None:
    out = io.StringIO()
    progress = ProgressPrinter(out)
    progress("reconstruction", 512, 2048)  # a first batch already done: how long it took is unknown
    first = out.getvalue()
    assert "512/2048" in first and "/s" not in first
    time.sleep(0.05)
    progress("reconstruction", 1024, 2048)
    rate = float(out.getvalue().rsplit("%", 1)[1].split("/s")[0])
    assert 0 < rate <= 512 / 0.05  # 512 more in at least 50 ms
    progress("reconstruction", 2048, 2048)
    assert out.getvalue().endswith("/s\n")
