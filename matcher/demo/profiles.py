"""Deterministic candidate profiles derived from ROME occupation sheets.

There is no public French CV corpus, so demo, test and benchmark candidates are generated: each
takes an occupation, one of its job titles, a realistic subset of its competences and knowledge
(core ones more often), some noise from a neighbouring occupation, experience, and a mobility
area around a commune drawn by population. The occupation it was drawn from is its
*code-derived* label: figures computed against it say so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from indices.geo import haversine_km
from matcher.core.models import CandidateIn, ContractType, EducationLevel, Experience, MobilityArea, Visibility
from matcher.reference.geography import Commune, Geography
from matcher.reference.taxonomy import Taxonomy

RADII_KM = (10, 20, 30, 50, 80)
RADII_WEIGHTS = (0.15, 0.3, 0.3, 0.2, 0.05)
REFERENCE_DATE = date(2026, 1, 5)


@dataclass(frozen=True)
class Demand:
    """Where generated candidates concentrate: the occupations and workplaces that recruit.

    Both lists may repeat values (repetition is weight). A candidate drawn from the demand takes
    an occupation from ``occupations`` and, independently, lives near one of ``workplaces``.
    """

    occupations: Sequence[str] = ()
    workplaces: Sequence[str] = ()  # INSEE codes
    share: float = 0.6  # the rest is drawn from all of ROME and all of France
    around_km: float = 40.0


class ProfileGenerator:
    """Same seed, same profiles, on every machine."""

    def __init__(self, taxonomy: Taxonomy, geography: Geography, *, seed: int, demand: Demand | None = None) -> None:
        self.taxonomy = taxonomy
        self.geography = geography
        self.seed = seed
        self.demand = demand or Demand()
        self._occupations = sorted(c for c in taxonomy.occupations if taxonomy.titles_of(c))
        self._demand_occupations = [c for c in self.demand.occupations if taxonomy.titles_of(c)]
        self._workplaces = [c for c in self.demand.workplaces if geography.get(c)]
        # Arrondissements would double-count Paris, Lyon and Marseille: draw the cities themselves.
        self._communes = [
            c
            for c in sorted(geography.communes.values(), key=lambda c: c.insee)
            if not (c.insee.startswith(("751", "6938", "132")) and c.insee not in ("75056", "69123", "13055"))
        ]
        self._lat = np.array([c.lat for c in self._communes])
        self._lon = np.array([c.lon for c in self._communes])
        self._population = np.array([max(c.population, 1) for c in self._communes], dtype=np.float64)
        self._weights = self._population / self._population.sum()
        self._around: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _near(self, insee: str) -> tuple[np.ndarray, np.ndarray]:
        """Communes within ``around_km`` of a workplace, with population weights (computed once)."""
        if insee not in self._around:
            place = self.geography.communes[insee]
            rows = np.flatnonzero(haversine_km(place.lat, place.lon, self._lat, self._lon) <= self.demand.around_km)
            weights = self._population[rows] / self._population[rows].sum()
            self._around[insee] = (rows, weights)
        return self._around[insee]

    def _pick_commune(self, rng: np.random.Generator) -> Commune:
        if self._workplaces and rng.random() < self.demand.share:
            rows, weights = self._near(self._workplaces[rng.integers(len(self._workplaces))])
            return self._communes[rows[rng.choice(len(rows), p=weights)]]
        return self._communes[rng.choice(len(self._communes), p=self._weights)]

    def _pick_occupation(self, rng: np.random.Generator) -> str:
        demand = self._demand_occupations
        if demand and rng.random() < self.demand.share:
            return demand[rng.integers(len(demand))]
        return self._occupations[rng.integers(len(self._occupations))]

    def _sample(self, rng: np.random.Generator, items: Sequence[str], low: int, high: int) -> list[str]:
        if not items:
            return []
        size = min(len(items), int(rng.integers(low, high + 1)))
        return [items[i] for i in sorted(rng.choice(len(items), size=size, replace=False))]

    def _home_near(self, rng: np.random.Generator, insee: str) -> tuple[Commune, float]:
        """A home within ``around_km`` of a workplace and a radius that reaches it."""
        rows, weights = self._near(insee)
        home = self._communes[rows[rng.choice(len(rows), p=weights)]]
        distance = self.geography.distance_km(home, self.geography.communes[insee])
        radii = [r for r in RADII_KM if r >= distance] or [max(RADII_KM)]
        return home, float(radii[rng.integers(len(radii))])

    def profile(self, number: int) -> tuple[CandidateIn, str]:
        """The ``number``-th profile and its code-derived occupation label."""
        return self._profile(np.random.default_rng([self.seed, number]), number)

    def profile_within_reach(self, number: int, *, occupation: str, workplace: str) -> CandidateIn:
        """A visible profile of ``occupation`` whose mobility area covers ``workplace`` (an INSEE code).

        Drawn from its own stream (``number`` does not collide with :meth:`profile`'s).
        """
        rng = np.random.default_rng([self.seed, 1, number])
        candidate, _ = self._profile(rng, number, occupation=occupation, workplace=workplace)
        return candidate

    def _profile(
        self, rng: np.random.Generator, number: int, *, occupation: str | None = None, workplace: str | None = None
    ) -> tuple[CandidateIn, str]:
        rome = occupation or self._pick_occupation(rng)
        titles = self.taxonomy.titles_of(rome)
        title = titles[rng.integers(len(titles))].label
        core = self.taxonomy.core_skills(rome)
        others = [s for s in self.taxonomy.skills_of(rome) if s not in set(core)]
        # Never a work context ("Travail de nuit", "En atelier"): a condition of the job, not a skill a person lists.
        skill = {s: self.taxonomy.skills[s] for s in others}
        know_how = [s for s in others if not skill[s].is_context and skill[s].kind != "savoir"]
        knowledge = [s for s in others if skill[s].kind == "savoir"]
        skills = (
            self._sample(rng, core, max(1, len(core) * 6 // 10), len(core))
            + self._sample(rng, know_how, 2, 6)
            + self._sample(rng, knowledge, 2, 5)
        )
        neighbours = self.taxonomy.neighbours(rome)
        experiences = [Experience(title=title, rome_code=rome, years=float(rng.integers(0, 16)))]
        if neighbours and rng.random() < 0.5:
            other = neighbours[rng.integers(len(neighbours))]
            other_titles = self.taxonomy.titles_of(other)
            if other_titles:
                experiences.append(
                    Experience(
                        title=other_titles[rng.integers(len(other_titles))].label,
                        rome_code=other,
                        years=float(rng.integers(1, 8)),
                    )
                )
                skills += self._sample(rng, self.taxonomy.core_skills(other), 1, 3)
        if workplace:
            home, radius = self._home_near(rng, workplace)
        else:
            home = self._pick_commune(rng)
        contracts = [c for c in ContractType if rng.random() < 0.45] or [ContractType.CONTRACTUEL]
        languages = ["français"] + [
            lang for lang, p in (("anglais", 0.35), ("espagnol", 0.08), ("allemand", 0.05)) if rng.random() < p
        ]
        levels = list(EducationLevel)
        candidate = CandidateIn(
            display_name=f"Profil {number:06d}",
            title=title,
            desired_occupations=[rome],
            skills=list(dict.fromkeys(skills)),
            experiences=experiences,
            education_level=levels[int(rng.integers(1, len(levels)))],
            languages=languages,
            driving_licences=["B"] if rng.random() < 0.75 else [],
            mobility=MobilityArea(
                communes=[home.insee],
                radius_km=radius if workplace else float(rng.choice(RADII_KM, p=RADII_WEIGHTS)),
            ),
            available_from=REFERENCE_DATE + timedelta(days=int(rng.integers(0, 120))),
            contract_types=contracts,
            visibility=Visibility.EMPLOYERS if rng.random() < 0.9 or workplace else Visibility.PRIVATE,
        )
        return candidate, rome

    def profiles(self, count: int, *, start: int = 0) -> Iterator[tuple[CandidateIn, str]]:
        for number in range(start, start + count):
            yield self.profile(number)
