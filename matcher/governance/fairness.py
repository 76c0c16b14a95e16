"""Fairness report: exposure on shortlists, recruiters' selection rates and direct approaches per self-declared group.

Groups come only from ``MonitoringRow``: optional, self-declared equality-monitoring answers that the
ranking never reads (``tests/unit/test_monitoring_isolation.py``). This module and ``matcher.privacy``
(export and erasure) are the only readers. Figures are descriptive alarms, not legal tests: the
four-fifths ratio is a US rule of thumb, used here as an internal threshold only.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.core.models import Decision
from matcher.store.tables import ApproachRow, FeedbackRow, MonitoringRow

ATTRIBUTES = ("sex", "age_band", "disability")
SELECTED = frozenset({Decision.INTERESTED.value, Decision.INTERVIEW.value, Decision.HIRED.value})
UNDECLARED = "non déclaré"


def groups(session: Session, attribute: str) -> dict[str, str]:
    """candidate id → declared value of ``attribute`` (candidates who did not answer are left out)."""
    if attribute not in ATTRIBUTES:
        raise ValueError(f"unknown monitoring attribute {attribute!r}")
    column = getattr(MonitoringRow, attribute)
    rows = session.execute(select(MonitoringRow.candidate_id, column).where(column.is_not(None)))
    return {cid: ({True: "oui", False: "non"}[value] if isinstance(value, bool) else str(value)) for cid, value in rows}


@dataclass(frozen=True)
class GroupExposure:
    group: str
    candidates: int  # candidates of the group among those who could be shortlisted
    places: float  # share of shortlist places
    exposure: float  # share of position-discounted attention (1 / log2(1 + rank))
    ratio: float  # exposure share / population share (1.0 = proportional)


def exposure(
    shortlists: Iterable[Sequence[str]], membership: Mapping[str, str], population: Iterable[str]
) -> list[GroupExposure]:
    """Per group: share of places and of position-discounted exposure over ranked shortlists (best first)."""
    places: Counter[str] = Counter()
    attention: defaultdict[str, float] = defaultdict(float)
    for ranked in shortlists:
        for rank, cid in enumerate(ranked, start=1):
            group = membership.get(cid, UNDECLARED)
            places[group] += 1
            attention[group] += 1.0 / math.log2(1 + rank)
    sizes = Counter(membership.get(cid, UNDECLARED) for cid in population)
    total_places, total_attention, total_people = sum(places.values()), sum(attention.values()), sum(sizes.values())
    out = []
    for group in sorted(set(sizes) | set(places)):
        share = attention[group] / total_attention if total_attention else 0.0
        population_share = sizes[group] / total_people if total_people else 0.0
        out.append(
            GroupExposure(
                group=group,
                candidates=sizes[group],
                places=places[group] / total_places if total_places else 0.0,
                exposure=share,
                ratio=share / population_share if population_share else 0.0,
            )
        )
    return out


@dataclass(frozen=True)
class GroupSelection:
    group: str
    decided: int  # candidates a recruiter decided on (latest decision per offer and candidate)
    selected: int  # of which interested, interview or hired
    rate: float
    impact_ratio: float  # rate / best group's rate (below 0.8: look closer)


def selection_rates(session: Session, membership: Mapping[str, str]) -> list[GroupSelection]:
    """Per group: share of recruiters' latest decisions that were interested, interview or hired."""
    latest: dict[tuple[str, str], str] = {}
    for offer_id, cid, decision in session.execute(
        select(FeedbackRow.offer_id, FeedbackRow.candidate_id, FeedbackRow.decision).order_by(FeedbackRow.id)
    ):
        latest[(offer_id, cid)] = decision
    decided: Counter[str] = Counter()
    selected: Counter[str] = Counter()
    for (_, cid), decision in latest.items():
        group = membership.get(cid, UNDECLARED)
        decided[group] += 1
        selected[group] += decision in SELECTED
    rates = {g: selected[g] / decided[g] for g in decided}
    best = max(rates.values(), default=0.0) or 1.0
    return [GroupSelection(g, decided[g], selected[g], rates[g], rates[g] / best) for g in sorted(decided)]


@dataclass(frozen=True)
class GroupApproaches:
    group: str
    approached: int  # approaches received by the group's candidates
    answered: int  # accepted or declined (expired and open ones are left out)
    accepted: int
    approach_share: float  # the group's share of all approaches sent
    acceptance_rate: float | None  # accepted / answered


def approach_rates(session: Session, membership: Mapping[str, str]) -> list[GroupApproaches]:
    """Per group: how many approaches its candidates received, and how often they accepted (direct approach)."""
    approached: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    for cid, status in session.execute(select(ApproachRow.candidate_id, ApproachRow.status)):
        group = membership.get(cid, UNDECLARED)
        approached[group] += 1
        answered[group] += status in ("accepted", "declined")
        accepted[group] += status == "accepted"
    total = sum(approached.values()) or 1
    return [
        GroupApproaches(
            g,
            approached[g],
            answered[g],
            accepted[g],
            approached[g] / total,
            accepted[g] / answered[g] if answered[g] else None,
        )
        for g in sorted(approached)
    ]


def synthetic_monitoring(
    session: Session, candidate_ids: Sequence[str], *, seed: int = 7, answer_rate: float = 0.7
) -> int:
    """Write SYNTHETIC self-declared answers for demo candidates (random, independent of their profiles).

    For the demo and the notebook only: real answers come from candidates, optionally. Returns rows written.
    """
    draw = random.Random(seed)
    written = 0
    for cid in candidate_ids:
        if draw.random() > answer_rate or session.get(MonitoringRow, cid) is not None:
            continue
        session.add(
            MonitoringRow(
                candidate_id=cid,
                sex=draw.choice(("femme", "homme", None)),
                age_band=draw.choice(("moins de 30 ans", "30-49 ans", "50 ans et plus")),
                disability=draw.random() < 0.08,
            )
        )
        written += 1
    session.flush()
    return written
