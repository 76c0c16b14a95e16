"""Turning features into a score whose parts add up exactly: a transparent default, or the learned ranker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from matcher.ranking.additive import Additive, AdditiveShapes, FloatMatrix, read_manifest
from matcher.ranking.features import FEATURES

BASE = "base"  # the part of a score that does not depend on the pair (a model's intercept)

# Hand-set weights, used until a learned model exists; they add up to 1, so scores lie in [0, 1].
DEFAULT_WEIGHTS = {
    "semantic": 0.15,
    "lexical": 0.10,
    "title_match": 0.05,
    "same_occupation": 0.20,
    "neighbour_occupation": 0.10,
    "same_domain": 0.05,
    "required_skills": 0.15,
    "desired_skills": 0.05,
    "experience": 0.03,
    "contract": 0.04,
    "category": 0.02,
    "proximity": 0.04,
    "availability": 0.02,
    "retrieval": 0.0,
    "retrieval_unsure": 0.0,
}


@dataclass(frozen=True)
class Scores:
    """The scores of a feature matrix's rows and their parts: ``totals[i]`` is ``parts[i]`` added up in order."""

    totals: npt.NDArray[np.float64]
    names: tuple[str, ...]  # what each column of ``parts`` is: features, and ``base`` for a model's intercept
    parts: FloatMatrix

    @classmethod
    def of(cls, names: tuple[str, ...], parts: FloatMatrix) -> Scores:
        totals = np.zeros(len(parts))
        for column in parts.T:  # left to right, as sum() adds a contributions dict: the same float
            totals += column
        return cls(totals, names, parts)

    def contributions(self, row: int) -> dict[str, float]:
        """One row's contributions by name, as :meth:`Scorer.score` gives them."""
        return dict(zip(self.names, self.parts[row].tolist(), strict=True))


class Scorer(Protocol):
    """Scores pairs and says how much each feature added: ``sum(contributions) == score``."""

    @property
    def version(self) -> str: ...

    def score(self, rows: Sequence[Mapping[str, float]]) -> list[tuple[float, dict[str, float]]]: ...

    def score_matrix(self, X: FloatMatrix) -> Scores:
        """:meth:`score` of the rows of ``X`` (one column per feature, in ``FEATURES`` order), the same values."""
        ...


_COLUMN = {name: column for column, name in enumerate(FEATURES)}


@dataclass(frozen=True)
class LinearScorer:
    """Transparent weighted sum of features in [0, 1]."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    version: str = "linear-v2"

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features: {sorted(unknown)}")

    def score(self, rows: Sequence[Mapping[str, float]]) -> list[tuple[float, dict[str, float]]]:
        out = []
        for row in rows:
            contributions = {name: weight * row[name] for name, weight in self.weights.items()}
            out.append((sum(contributions.values()), contributions))
        return out

    def score_matrix(self, X: FloatMatrix) -> Scores:
        names = tuple(self.weights)
        weights = np.array([self.weights[name] for name in names], dtype=np.float64)
        return Scores.of(names, X[:, [_COLUMN[name] for name in names]] * weights)


@dataclass(frozen=True)
class RetrievalScorer:
    """The retrieval's own order (``retrieval``: reciprocal-rank fusion of BM25 and cosine) as the whole score.

    What a list is ranked by when the offer has no structured side (:func:`~matcher.ranking.features.has_structure`):
    the learned weights were fitted where occupations and skills exist, and must not reorder a list they cannot read.
    """

    version: str = "recherche-seule"

    def score(self, rows: Sequence[Mapping[str, float]]) -> list[tuple[float, dict[str, float]]]:
        return [(row["retrieval"], {"retrieval": row["retrieval"]}) for row in rows]

    def score_matrix(self, X: FloatMatrix) -> Scores:
        return Scores.of(("retrieval",), X[:, [_COLUMN["retrieval"]]].astype(np.float64))


@dataclass(frozen=True)
class LearnedScorer:
    """The additive ranker: each feature's shape value is its contribution, the intercept is ``base``.

    ``ranker`` is the fitted estimator (training, evaluation) or, loaded from a model file, its
    shapes alone: serving never imports scikit-learn.
    """

    ranker: Additive
    features: tuple[str, ...]
    version: str

    @classmethod
    def load(cls, path: Path) -> LearnedScorer:
        manifest = read_manifest(path)
        return cls(AdditiveShapes.of(manifest), tuple(manifest.features), manifest.version)

    def score(self, rows: Sequence[Mapping[str, float]]) -> list[tuple[float, dict[str, float]]]:
        if not rows:
            return []
        X = np.array([[row[name] for name in self.features] for row in rows], dtype=np.float64)
        parts = self.ranker.contributions(X)
        out = []
        for row_parts in parts:
            contributions = {BASE: self.ranker.intercept_, **dict(zip(self.features, row_parts.tolist(), strict=True))}
            out.append((sum(contributions.values()), contributions))
        return out

    def score_matrix(self, X: FloatMatrix) -> Scores:
        if not len(X):
            return Scores(np.zeros(0), (BASE, *self.features), np.zeros((0, len(self.features) + 1)))
        parts = self.ranker.contributions(X[:, [_COLUMN[name] for name in self.features]])
        intercept = np.full((len(X), 1), self.ranker.intercept_, dtype=np.float64)
        return Scores.of((BASE, *self.features), np.hstack([intercept, parts]))
