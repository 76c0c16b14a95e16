"""French communes: INSEE code, postal codes, names and coordinates."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from indices.geo import haversine_km
from matcher.reference.files import normalize_label, read_rows


@dataclass(frozen=True, slots=True)
class Commune:
    insee: str
    name: str
    postal_code: str
    department: str
    lat: float
    lon: float
    population: int


class Geography:
    """Resolve an INSEE code, a postal code or a commune name to a commune."""

    def __init__(self, folder: Path) -> None:
        self.communes = {
            r["insee"]: Commune(
                r["insee"],
                r["name"],
                r["postal_code"],
                r["department"],
                float(r["lat"]),
                float(r["lng"]),
                int(float(r["population"] or 0)),
            )
            for r in read_rows(folder / "communes.csv.gz")
        }
        self._by_postal: dict[str, list[str]] = defaultdict(list)
        for r in read_rows(folder / "postal_codes.csv.gz"):
            self._by_postal[r["postal_code"]].append(r["insee"])
        self._by_name: dict[str, list[str]] = defaultdict(list)
        for commune in self.communes.values():
            self._by_name[normalize_label(commune.name)].append(commune.insee)

    def get(self, insee: str) -> Commune | None:
        return self.communes.get(insee)

    def coordinates(self, insee: str) -> tuple[float, float] | None:
        """(latitude, longitude) of a commune, None for an unknown code: the one way from a commune to a point."""
        commune = self.communes.get(insee)
        return (commune.lat, commune.lon) if commune else None

    def points(self, insees: Iterable[str]) -> tuple[tuple[float, float], ...]:
        """The coordinates of the known communes among ``insees``, in their order."""
        return tuple(point for insee in insees if (point := self.coordinates(insee)) is not None)

    def resolve(self, query: str) -> list[Commune]:
        """Communes matching an INSEE code, a postal code or a name, most populous first."""
        query = query.strip()
        if re.fullmatch(r"\d[\dAB]\d{3}", query):
            # People type postal codes far more often than INSEE codes: those matches come first.
            by_postal = sorted(
                (self.communes[c] for c in self._by_postal.get(query, []) if c in self.communes),
                key=lambda c: -c.population,
            )
            by_insee = [self.communes[query]] if query in self.communes else []
            return list({c.insee: c for c in by_postal + by_insee}.values())
        found = [self.communes[c] for c in self._by_name.get(normalize_label(query), [])]
        return sorted(found, key=lambda c: -c.population)

    def search(self, query: str, limit: int = 10) -> list[Commune]:
        """Communes whose name starts with the query, or whose postal code does (autocomplete)."""
        key = normalize_label(query)
        if not key:
            return []
        if key.isdigit():
            found = [
                self.communes[c]
                for p, codes in self._by_postal.items()
                if p.startswith(key)
                for c in codes
                if c in self.communes
            ]
        else:
            found = [c for c in self.communes.values() if normalize_label(c.name).startswith(key)]
        return sorted({c.insee: c for c in found}.values(), key=lambda c: -c.population)[:limit]

    def distance_km(self, a: Commune, b: Commune) -> float:
        return float(haversine_km(a.lat, a.lon, [b.lat], [b.lon])[0])
