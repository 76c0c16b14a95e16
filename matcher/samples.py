"""The demo data set: real offers shipped in ``data/offers`` and ROME-derived candidates."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from matcher.domain import CandidateIn, EmployerIn, EmployerKind, OfferIn
from matcher.profiles import Demand, ProfileGenerator
from matcher.runtime import Runtime
from matcher.services import create_candidate, create_employer, create_offer
from matcher.store.tables import EmployerRow, OfferRow, SettingRow

SEEDED = "demo_seeded"
Progress = Callable[[str, int, int], None]


def shipped_offers(reference_dir: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(reference_dir / "offers" / "offers.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def employer_id(name: str) -> str:
    return "emp_" + hashlib.sha256(name.encode()).hexdigest()[:12]


def offer_input(raw: dict[str, Any]) -> OfferIn:
    return OfferIn(
        title=raw["title"][:200],
        description=raw["description"],
        employer_id=employer_id(raw["employer"]),
        commune_insee=raw["commune_insee"],
        contract_types=raw["contract_types"],
        category=raw["category"],
        rome_code=raw["rome_code"],
        required_skills=raw["required_skills"],
        desired_skills=raw["desired_skills"],
        experience_years=raw["experience_years"],
        published_at=raw["published_at"],
        closes_at=None,
        source=raw["source"],
        external_ref=raw["external_ref"],
        url=raw["url"],
    )


def candidate_generator(rt: Runtime) -> ProfileGenerator:
    """The generator used for the demo, benchmarks and evaluation: weighted towards the shipped offers."""
    offers = list(shipped_offers(rt.settings.reference_dir))
    demand = Demand(
        occupations=[o["rome_code"] for o in offers if o["rome_code"]], workplaces=[o["commune_insee"] for o in offers]
    )
    return ProfileGenerator(rt.taxonomy, rt.geography, seed=rt.settings.demo_seed, demand=demand)


def demo_candidates(rt: Runtime, count: int) -> Iterator[tuple[str, CandidateIn, str]]:
    """(candidate id, profile, code-derived ROME label) for the first ``count`` demo candidates."""
    for number, (profile, rome) in enumerate(candidate_generator(rt).profiles(count)):
        yield f"cand_demo_{number:06d}", profile, rome


def is_seeded(rt: Runtime) -> bool:
    with rt.store.read() as session:
        return session.get(SettingRow, SEEDED) is not None


def seed_demo(rt: Runtime, *, candidates: int | None = None, progress: Progress | None = None) -> bool:
    """Load the shipped offers and generated candidates once; returns False when already loaded."""
    if is_seeded(rt):
        return False
    count = rt.settings.demo_candidates if candidates is None else candidates
    offers = list(shipped_offers(rt.settings.reference_dir))
    if progress:
        progress("offres", 0, len(offers))
    with rt.store.transaction() as session:
        known = set(session.scalars(select(EmployerRow.id)))
        for raw in offers:
            eid = employer_id(raw["employer"])
            if eid not in known:
                create_employer(
                    session,
                    employer_id=eid,
                    data=EmployerIn(name=raw["employer"][:200], kind=EmployerKind(raw["employer_kind"])),
                )
                known.add(eid)
        existing = set(session.scalars(select(OfferRow.id)))
        for number, raw in enumerate(offers, start=1):
            if raw["id"] not in existing:
                create_offer(
                    session, offer_id=raw["id"], data=offer_input(raw), taxonomy=rt.taxonomy, geography=rt.geography
                )
            if progress and number % 100 == 0:
                progress("offres", number, len(offers))
        if progress:
            progress("candidats", 0, count)
        for number, (cid, profile, _) in enumerate(demo_candidates(rt, count), start=1):
            create_candidate(session, candidate_id=cid, data=profile, taxonomy=rt.taxonomy, geography=rt.geography)
            if progress and (number % 200 == 0 or number == count):
                progress("candidats", number, count)
        session.add(SettingRow(key=SEEDED, value=json.dumps({"offers": len(offers), "candidates": count})))
    return True
