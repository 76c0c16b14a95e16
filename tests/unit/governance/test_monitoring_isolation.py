"""Equality-monitoring data never reaches ranking: only the fairness report and the privacy module read it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from matcher.core.settings import REPO_ROOT
from matcher.governance import fairness
from matcher.store.tables import FeedbackRow, MonitoringRow

READERS = {"matcher/governance/fairness.py", "matcher/governance/privacy.py", "matcher/store/tables.py"}


def names_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    found |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    found |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    return found


def test_no_module_but_the_report_and_privacy_ones_reads_monitoring_data() -> None:
    readers = set()
    for path in sorted((REPO_ROOT / "matcher").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if {"MonitoringRow", "equality_monitoring"} & names_in(path) or "equality_monitoring" in text:
            readers.add(path.relative_to(REPO_ROOT).as_posix())
    assert readers == READERS
    for package in ("api", "indices"):
        for path in (REPO_ROOT / package).rglob("*.py"):
            assert "MonitoringRow" not in path.read_text(encoding="utf-8"), path


def test_exposure_discounts_positions_and_selection_rates_use_the_latest_decision(session: Session) -> None:
    membership = {"a": "femme", "b": "homme", "c": "femme", "d": "homme"}
    report = {g.group: g for g in fairness.exposure([["b", "a"], ["b", "c"]], membership, ["a", "b", "c", "d"])}
    assert report["femme"].places == report["homme"].places == 0.5
    assert report["homme"].exposure > report["femme"].exposure  # "b" is first twice, "a" and "c" second
    assert report["homme"].ratio == pytest.approx(2 * report["homme"].exposure)
    session.add_all(
        [
            FeedbackRow(offer_id="o", candidate_id="a", decision="rejected", reason="x"),
            FeedbackRow(offer_id="o", candidate_id="a", decision="interview"),
            FeedbackRow(offer_id="o", candidate_id="b", decision="rejected", reason="x"),
            FeedbackRow(offer_id="o", candidate_id="d", decision="hired"),
        ]
    )
    session.flush()
    rates = {g.group: g for g in fairness.selection_rates(session, membership)}
    assert (rates["femme"].decided, rates["femme"].rate) == (1, 1.0)
    assert (rates["homme"].decided, rates["homme"].rate, rates["homme"].impact_ratio) == (2, 0.5, 0.5)
    assert fairness.synthetic_monitoring(session, ["a", "b", "c", "d"], answer_rate=1.0) == 4
    assert set(fairness.groups(session, "age_band")) == {"a", "b", "c", "d"}
    assert session.get(MonitoringRow, "a") is not None


@pytest.fixture
def session(rt):  # type: ignore[no-untyped-def]
    with rt.store.transaction() as s:
        yield s
