"""The learned ranker: a monotone additive model, so every score splits exactly into its reasons.

score(x) = intercept + Σ_f shape_f(x_f), where each shape is piecewise linear on [0, 1] with knots
at 0, 1/n, …, 1 and never decreasing (more of a good thing never lowers a score). It is fitted as a
ridge regression with positive coefficients on "ramp" features: ramp_j(x) = clip(n·x − j, 0, 1).
The contribution of a feature is its shape value, so contributions add up to the score exactly.
It follows the scikit-learn estimator contract (tested with ``estimator_checks``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge
from sklearn.utils.validation import check_is_fitted, validate_data

from matcher.ranking.additive import RankerManifest, ramps, read_manifest

FloatMatrix = npt.NDArray[np.float64]


class AdditiveRanker(RegressorMixin, BaseEstimator):
    """Monotone piecewise-linear additive regressor over features in [0, 1].

    Args:
        n_segments: Linear pieces per feature shape.
        alpha: Ridge penalty.
    """

    coef_: FloatMatrix
    intercept_: float

    def __init__(self, n_segments: int = 4, alpha: float = 1.0) -> None:
        self.n_segments = n_segments
        self.alpha = alpha

    def _ramps(self, X: FloatMatrix) -> FloatMatrix:
        return ramps(X, self.n_segments).reshape(len(X), -1)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> AdditiveRanker:
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        model = Ridge(alpha=self.alpha, positive=True).fit(self._ramps(X), y, sample_weight=sample_weight)
        self.coef_ = model.coef_.reshape(X.shape[1], self.n_segments)
        self.intercept_ = float(model.intercept_)
        return self

    def contributions(self, X: Any) -> FloatMatrix:
        """Per-feature contribution of each row: ``predict(X) == intercept_ + contributions(X).sum(1)``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        ramps = self._ramps(X).reshape(len(X), X.shape[1], self.n_segments)
        return np.einsum("nfs,fs->nf", ramps, self.coef_)

    def predict(self, X: Any) -> FloatMatrix:
        check_is_fitted(self)
        return self.intercept_ + self.contributions(X).sum(axis=1)


def training_hash(X: FloatMatrix, y: npt.NDArray[Any]) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(X, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(y, dtype=np.float64).tobytes())
    return digest.hexdigest()


def model_version(ranker: AdditiveRanker, features: list[str], data_sha256: str) -> str:
    """``additive-<12 hex>``: a hash of the fitted parameters and the training data, so the version names the model."""
    content = json.dumps(
        {
            "features": features,
            "n_segments": ranker.n_segments,
            "alpha": ranker.alpha,
            "intercept": round(ranker.intercept_, 10),
            "coefficients": ranker.coef_.round(10).tolist(),
            "training_data_sha256": data_sha256,
        },
        sort_keys=True,
    )
    return "additive-" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:12]


def save_ranker(
    ranker: AdditiveRanker,
    path: Path,
    *,
    features: list[str],
    X: FloatMatrix,
    y: npt.NDArray[Any],
    labels: str,
    metrics: dict[str, Any],
) -> RankerManifest:
    """Write the model as plain JSON (no pickle: a model file can be read and reviewed by anyone)."""
    data_sha256 = training_hash(X, y)
    manifest = RankerManifest(
        version=model_version(ranker, features, data_sha256),
        features=features,
        n_segments=ranker.n_segments,
        alpha=ranker.alpha,
        intercept=ranker.intercept_,
        coefficients=ranker.coef_.round(10).tolist(),
        training_data_sha256=data_sha256,
        training_rows=len(X),
        labels=labels,
        metrics=metrics,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest.__dict__, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


__all__ = ["AdditiveRanker", "RankerManifest", "load_ranker", "model_version", "save_ranker", "training_hash"]


def load_ranker(path: Path) -> tuple[AdditiveRanker, RankerManifest]:
    manifest = read_manifest(path)
    ranker = AdditiveRanker(n_segments=manifest.n_segments, alpha=manifest.alpha)
    ranker.coef_ = np.asarray(manifest.coefficients, dtype=np.float64)
    ranker.intercept_ = manifest.intercept
    ranker.n_features_in_ = len(manifest.features)
    return ranker, manifest
