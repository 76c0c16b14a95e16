"""The learned ranker: scikit-learn estimator contract, monotone shapes, exact contributions, JSON persistence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from matcher.ranking.ranker import AdditiveRanker, load_ranker, save_ranker
from matcher.ranking.scorer import BASE, LearnedScorer


@parametrize_with_checks([AdditiveRanker()])
def test_sklearn_estimator_contract(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


def data(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3))
    y = 2 * X[:, 0] + np.where(X[:, 1] > 0.5, 1.0, 0.0) + rng.normal(0, 0.05, n)  # feature 2 is noise
    return X, y


def test_learns_monotone_shapes_and_contributions_add_up() -> None:
    X, y = data()
    ranker = AdditiveRanker(n_segments=4, alpha=0.1).fit(X, y)
    assert (ranker.coef_ >= 0).all()
    parts = ranker.contributions(X)
    np.testing.assert_allclose(ranker.intercept_ + parts.sum(axis=1), ranker.predict(X))
    grid = np.linspace(0, 1, 50)
    for feature in range(3):
        probe = np.full((50, 3), 0.5)
        probe[:, feature] = grid
        assert np.all(np.diff(ranker.predict(probe)) >= -1e-12)  # more of a feature never lowers the score
    assert parts[:, 0].std() > parts[:, 2].std() * 5  # it found what matters
    assert ranker.score(X, y) > 0.9


def test_unfitted_ranker_refuses_to_predict() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AdditiveRanker().predict(np.zeros((1, 3)))


def test_json_round_trip_and_manifest(tmp_path: Path) -> None:
    X, y = data()
    ranker = AdditiveRanker().fit(X, y)
    path = tmp_path / "ranker.json"
    manifest = save_ranker(ranker, path, features=["a", "b", "c"], X=X, y=y, labels="synthetic", metrics={"r2": 1.0})
    again, loaded = load_ranker(path)
    np.testing.assert_allclose(again.predict(X), ranker.predict(X), atol=1e-8)
    assert loaded == manifest and len(loaded.training_data_sha256) == 64 and loaded.training_rows == 400
    scorer = LearnedScorer.load(path)
    rows = [{"a": 0.2, "b": 0.9, "c": 0.1}, {"a": 1.0, "b": 0.0, "c": 0.5}]
    for (score, contributions), prediction in zip(
        scorer.score(rows), again.predict(np.array([[r["a"], r["b"], r["c"]] for r in rows])), strict=True
    ):
        assert score == pytest.approx(prediction)
        assert sum(contributions.values()) == pytest.approx(score, abs=1e-12)
        assert contributions[BASE] == pytest.approx(again.intercept_)


def test_model_version_names_the_content(tmp_path: Path) -> None:
    """Two different fits never share a version; the same fit on the same data always gets the same one."""
    X, y = data()
    first = save_ranker(
        AdditiveRanker().fit(X, y), tmp_path / "a.json", features=["a", "b", "c"], X=X, y=y, labels="", metrics={}
    )
    again = save_ranker(
        AdditiveRanker().fit(X, y), tmp_path / "b.json", features=["a", "b", "c"], X=X, y=y, labels="", metrics={}
    )
    other = save_ranker(
        AdditiveRanker(alpha=5.0).fit(X, y),
        tmp_path / "c.json",
        features=["a", "b", "c"],
        X=X,
        y=y,
        labels="",
        metrics={},
    )
    fewer = save_ranker(
        AdditiveRanker().fit(X[:200], y[:200]),
        tmp_path / "d.json",
        features=["a", "b", "c"],
        X=X[:200],
        y=y[:200],
        labels="",
        metrics={},
    )
    assert first.version == again.version and first.version.startswith("additive-")
    assert len({first.version, other.version, fewer.version}) == 3


def test_served_scorer_gives_the_estimators_scores_and_parts(tmp_path: Path) -> None:
    """The model file read without scikit-learn scores every pair as the fitted estimator does."""
    X, y = data()
    ranker = AdditiveRanker(n_segments=5, alpha=0.3).fit(X, y)
    path = tmp_path / "ranker.json"
    save_ranker(ranker, path, features=["a", "b", "c"], X=X, y=y, labels="synthetic", metrics={})
    served = LearnedScorer.load(path)
    fitted = LearnedScorer(ranker, ("a", "b", "c"), served.version)
    rng = np.random.default_rng(7)
    rows = [dict(zip("abc", values, strict=True)) for values in rng.uniform(-0.2, 1.2, (200, 3)).tolist()]
    for (score, parts), (expected, expected_parts) in zip(served.score(rows), fitted.score(rows), strict=True):
        assert score == pytest.approx(expected, abs=1e-9)
        assert parts.keys() == expected_parts.keys()
        assert list(parts.values()) == pytest.approx(list(expected_parts.values()), abs=1e-9)


def test_serving_a_shipped_model_does_not_import_scikit_learn() -> None:
    code = (
        # api.serve: the serving process's own imports (routes, pages, the background tasks it enqueues).
        "import sys; from matcher.core.settings import MatcherSettings; import matcher.runtime; import api.serve; "
        "from matcher.ranking.scorer import LearnedScorer; "
        "s = LearnedScorer.load(MatcherSettings().ranker_path); "
        "s.score([dict.fromkeys(s.features, 0.5)]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def graded_lists(queries: int = 40, size: int = 30, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lists whose grade depends on feature 0 only, each list shifted by its own offset on feature 1."""
    rng = np.random.default_rng(seed)
    X = rng.random((queries * size, 3))
    groups = np.repeat(np.arange(queries), size)
    X[:, 1] = np.clip(X[:, 1] * 0.2 + rng.random(queries)[groups] * 0.8, 0, 1)  # constant-ish within a list
    y = np.digitize(X[:, 0], [0.5, 0.8]).astype(np.float64)  # grades 0, 1, 2
    return X, y, groups


def test_pairwise_loss_learns_the_order_within_lists() -> None:
    X, y, groups = graded_lists()
    ranker = AdditiveRanker(n_segments=4, alpha=1.0, loss="pairwise").fit(X, y, groups=groups)
    assert (ranker.coef_ >= 0).all() and ranker.intercept_ == 0.0
    assert ranker.coef_[0].sum() > 5 * ranker.coef_[1:].sum()  # the grade's feature, not the list's offset
    scores = ranker.predict(X)
    for query in range(40):
        rows = groups == query
        best, worst = scores[rows][y[rows] == 2], scores[rows][y[rows] == 0]
        if len(best) and len(worst):
            assert best.min() > worst.max() - 1e-9 or np.mean(best[:, None] > worst[None, :]) > 0.95


def test_pairwise_fit_is_deterministic_and_weights_count() -> None:
    X, y, groups = graded_lists()
    a = AdditiveRanker(loss="pairwise").fit(X, y, groups=groups)
    b = AdditiveRanker(loss="pairwise").fit(X, y, groups=groups)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    # Rows whose order disagrees with feature 0, made to weigh a lot, pull its slope down.
    flipped = y.copy()
    flipped[X[:, 2] > 0.5] = 2 - flipped[X[:, 2] > 0.5]
    weights = np.where(X[:, 2] > 0.5, 20.0, 1.0)
    c = AdditiveRanker(loss="pairwise").fit(X, flipped, sample_weight=weights, groups=groups)
    assert c.coef_[0].sum() < a.coef_[0].sum()


def test_an_unknown_loss_is_refused() -> None:
    X, y = data()
    with pytest.raises(ValueError, match="unknown loss"):
        AdditiveRanker(loss="hinge").fit(X, y)


def test_the_loss_is_kept_in_the_manifest(tmp_path: Path) -> None:
    X, y, groups = graded_lists()
    ranker = AdditiveRanker(loss="pairwise").fit(X, y, groups=groups)
    manifest = save_ranker(ranker, tmp_path / "r.json", features=["a", "b", "c"], X=X, y=y, labels="", metrics={})
    again, loaded = load_ranker(tmp_path / "r.json")
    assert loaded.loss == manifest.loss == again.loss == "pairwise"
    np.testing.assert_allclose(again.predict(X), ranker.predict(X), atol=1e-8)
