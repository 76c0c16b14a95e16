"""The learned ranker as the service runs it: its manifest and shapes, in numpy alone.

Fitting needs scikit-learn (:mod:`matcher.ranking.ranker`); scoring only needs the coefficients,
so the serving path reads them here and never imports scikit-learn (about a second at start-up).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float64]


class Additive(Protocol):
    """A fitted additive model: ``score = intercept_ + contributions(X).sum(1)``."""

    @property
    def intercept_(self) -> float: ...

    @property
    def coef_(self) -> FloatMatrix: ...  # (features, segments): each shape's slopes

    def contributions(self, X: Any) -> FloatMatrix: ...


def ramps(X: FloatMatrix, n_segments: int) -> FloatMatrix:
    """ramp_j(x) = clip(n·x − j, 0, 1) for each feature and segment, shaped (rows, features, segments)."""
    steps = np.arange(n_segments, dtype=np.float64)
    scaled = np.clip(X, 0.0, 1.0)[:, :, None] * n_segments - steps[None, None, :]
    return np.clip(scaled, 0.0, 1.0)


@dataclass
class RankerManifest:
    """What a persisted model is: enough to reload, audit and reproduce it."""

    version: str
    features: list[str]
    n_segments: int
    alpha: float
    intercept: float
    coefficients: list[list[float]]
    training_data_sha256: str
    training_rows: int
    labels: str
    metrics: dict[str, Any] = field(default_factory=dict)
    loss: str = "squared"  # how it was fitted (models written before pairwise fitting were all ridge)


def read_manifest(path: Path) -> RankerManifest:
    return RankerManifest(**json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class AdditiveShapes:
    """The fitted shapes of an :class:`~matcher.ranking.ranker.AdditiveRanker`, without the estimator."""

    coef_: FloatMatrix  # (features, segments)
    intercept_: float

    @classmethod
    def of(cls, manifest: RankerManifest) -> AdditiveShapes:
        return cls(np.asarray(manifest.coefficients, dtype=np.float64), float(manifest.intercept))

    def contributions(self, X: Any) -> FloatMatrix:
        """Per-feature contribution of each row, as the estimator computes it."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.coef_):
            raise ValueError(f"expected rows of {len(self.coef_)} features, got shape {X.shape}")
        return np.einsum("nfs,fs->nf", ramps(X, self.coef_.shape[1]), self.coef_)
