"""Direct approaches per self-declared group: how many each group received, and how often it accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matcher.governance import fairness
from matcher.runtime import Runtime
from matcher.store.tables import ApproachRow, MonitoringRow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _approach(n: int, candidate: str, status: str) -> ApproachRow:
    return ApproachRow(
        id=f"apr_{n}",
        offer_id=f"off_{n}",
        employer_id="emp",
        candidate_id=candidate,
        recruiter_id="acc",
        source="shortlist",
        message="m",
        status=status,
        sent_at=T0,
        expires_at=T0 + timedelta(days=14),
    )


def test_approach_and_acceptance_rates_per_group(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        session.add_all(
            [
                MonitoringRow(candidate_id="f1", sex="femme"),
                MonitoringRow(candidate_id="f2", sex="femme"),
                MonitoringRow(candidate_id="h1", sex="homme"),
                _approach(1, "f1", "accepted"),
                _approach(2, "f2", "declined"),
                _approach(3, "f2", "expired"),  # silence: not an answer
                _approach(4, "h1", "accepted"),
                _approach(5, "x", "open"),  # no declaration
            ]
        )
    with rt.store.read() as session:
        rows = {r.group: r for r in fairness.approach_rates(session, fairness.groups(session, "sex"))}
    assert set(rows) == {"femme", "homme", fairness.UNDECLARED}
    assert (rows["femme"].approached, rows["femme"].answered, rows["femme"].accepted) == (3, 2, 1)
    assert rows["femme"].acceptance_rate == pytest.approx(0.5) and rows["femme"].approach_share == pytest.approx(0.6)
    assert rows["homme"].acceptance_rate == 1.0
    assert rows[fairness.UNDECLARED].acceptance_rate is None
