"""Turning features into a score whose parts add up exactly: the seam where a learned ranker plugs in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from matcher.features import FEATURES


class Scorer(Protocol):
    """Scores pairs and says how much each feature added. ``sum(contributions) == score``."""

    @property
    def version(self) -> str: ...

    def score(self, rows: Sequence[Mapping[str, float]]) -> list[tuple[float, dict[str, float]]]: ...


DEFAULT_WEIGHTS = {
    "semantic": 0.30,
    "lexical": 0.10,
    "occupation": 0.30,
    "skills": 0.20,
    "proximity": 0.05,
    "contract": 0.05,
}


@dataclass(frozen=True)
class LinearScorer:
    """Transparent weighted sum of features in [0, 1]; weights add up to 1, so scores lie in [0, 1]."""

    weights: Mapping[str, float] = None  # type: ignore[assignment]
    version: str = "linear-v1"

    def __post_init__(self) -> None:
        if self.weights is None:
            object.__setattr__(self, "weights", dict(DEFAULT_WEIGHTS))
        unknown = set(self.weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features: {sorted(unknown)}")

    def score(self, rows: Sequence[Mapping[str, float]]) -> list[tuple[float, dict[str, float]]]:
        out = []
        for row in rows:
            contributions = {name: weight * row[name] for name, weight in self.weights.items()}
            out.append((sum(contributions.values()), contributions))
        return out
