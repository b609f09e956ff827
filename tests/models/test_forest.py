"""The random-forest surrogate, the acquisition it feeds, and its local search."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import scipy.integrate
import scipy.stats

import tunesmith as ts
from tunesmith.models.acquisition import expected_improvement, log_expected_improvement
from tunesmith.models.forest import (
    INACTIVE,
    RandomForestSurrogate,
    impute_inactive,
    local_search,
    log_scale,
)

pytest.importorskip("sklearn")


def data(n: int = 60, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    y = np.sin(6 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize(
    "options",
    [{}, {"splitter": "best", "min_samples_leaf": 3, "max_features": 0.5, "n_trees": 7}],
)
def test_mean_and_variance_follow_from_the_trees(options: dict[str, object]) -> None:
    X, y = data()
    forest = RandomForestSurrogate(seed=1, **options).fit(X, y)  # type: ignore[arg-type]
    assert len(forest.trees_) == options.get("n_trees", 10)
    Z = np.random.default_rng(2).random((40, 3))
    Zf = impute_inactive(Z)
    means = np.stack([t.predict(Zf) for t in forest.trees_])  # t x n
    variances = np.stack([t.tree_.impurity[t.apply(Zf)] for t in forest.trees_])
    mean, var = forest.predict(Z)
    np.testing.assert_allclose(mean, means.mean(0), rtol=1e-12)
    # Law of total variance: mean of the leaf variances plus the variance of the leaf means.
    np.testing.assert_allclose(var, variances.mean(0) + means.var(0), rtol=1e-12)
    assert (var > 0).all()


def test_leaf_variance_is_the_variance_of_the_leaf_samples() -> None:
    X, y = data(n=80)
    forest = RandomForestSurrogate(seed=0, bootstrap=False, min_samples_leaf=4).fit(X, y)
    Xf = impute_inactive(X)
    for tree in forest.trees_:
        leaf = tree.apply(Xf)
        for k in np.unique(leaf):
            np.testing.assert_allclose(tree.tree_.impurity[k], y[leaf == k].var(), atol=1e-12)
            np.testing.assert_allclose(tree.tree_.value[k, 0, 0], y[leaf == k].mean())


def test_inactive_dimensions_are_imputed_outside_the_cube() -> None:
    X, y = data()
    X[::2, 2] = np.nan  # the third parameter is inactive in every other trial
    y[::2] += 5.0  # and inactive trials are worse: trees can split on activity
    forest = RandomForestSurrogate(seed=0).fit(X, y)
    Z = X[:4].copy()
    imputed = np.where(np.isnan(Z), INACTIVE, Z)
    np.testing.assert_array_equal(forest.predict(Z)[0], forest.predict(imputed)[0])
    assert forest.predict(X[::2])[0].mean() > forest.predict(X[1::2])[0].mean() + 3


def test_a_constant_objective_does_not_break_the_model() -> None:
    X, _ = data(n=20)
    forest = RandomForestSurrogate(seed=0).fit(X, np.full(20, 3.0))
    mean, var = forest.predict(np.random.default_rng(1).random((5, 3)))
    np.testing.assert_allclose(mean, 3.0)
    assert (var > 0).all()
    assert np.isfinite(log_expected_improvement(mean, np.sqrt(var), 3.0)[0]).all()


def test_seeded_forests_are_identical() -> None:
    X, y = data()
    Z = np.random.default_rng(5).random((10, 3))
    a = RandomForestSurrogate(seed=4).fit(X, y).predict(Z)
    b = RandomForestSurrogate(seed=4).fit(X, y).predict(Z)
    c = RandomForestSurrogate(seed=5).fit(X, y).predict(Z)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[0], c[0])


def test_expected_improvement_of_the_forest_matches_the_closed_form() -> None:
    X, y = data()
    mean, var = (
        RandomForestSurrogate(seed=0).fit(X, y).predict(np.random.default_rng(3).random((8, 3)))
    )
    std, best = np.sqrt(var), float(y.min()) + 0.3
    z = (best - mean) / std
    closed = std * (z * scipy.stats.norm.cdf(z) + scipy.stats.norm.pdf(z))
    np.testing.assert_allclose(expected_improvement(mean, std, best)[0], closed, rtol=1e-10)
    np.testing.assert_allclose(log_expected_improvement(mean, std, best)[0], np.log(closed))
    for m, s in zip(mean[:3], std[:3], strict=True):  # E[max(best - f, 0)], f ~ N(m, s^2)
        integral, _ = scipy.integrate.quad(
            lambda f, m=m, s=s: (best - f) * scipy.stats.norm.pdf(f, m, s), -np.inf, best
        )
        np.testing.assert_allclose(expected_improvement(m, s, best)[0], integral, rtol=1e-7)


def test_log_expected_improvement_stays_accurate_where_ei_underflows() -> None:
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    z = np.array([-1e9, -1e5, -300.0, -40.0, -5.0, -1.0, 0.0, 3.0])
    got = log_expected_improvement(-z, np.ones_like(z), 0.0)[0]
    for zi, g in zip(z, got, strict=True):
        x = mpmath.mpf(float(zi))
        exact = float(mpmath.log(mpmath.npdf(x) + x * mpmath.ncdf(x)))
        assert math.isclose(g, exact, rel_tol=1e-12, abs_tol=1e-12), (zi, g, exact)


def test_log_scale_preserves_order_for_values_of_any_sign() -> None:
    y = np.array([3.0, -2.0, 1e6, -2.0 + 1e-9, 0.0])
    out = log_scale(y)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(np.argsort(out, kind="stable"), np.argsort(y, kind="stable"))
    assert out.max() == 0.0  # the worst value maps to log(1)


def test_local_search_climbs_from_every_start() -> None:
    target = np.array([0.3, 0.8])

    def acquisition(U: np.ndarray) -> np.ndarray:
        out: np.ndarray = -((U - target) ** 2).sum(1)
        return out

    def neighbours(U: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
        out: np.ndarray = np.clip(
            np.repeat(U, k, 0) + 0.05 * rng.standard_normal((len(U) * k, 2)), 0, 1
        )
        return out

    starts = np.array([[0.0, 0.0], [1.0, 1.0], [0.3, 0.8]])
    rng = np.random.default_rng(0)
    reached, values = local_search(acquisition, starts, neighbours, rng, max_steps=200)
    np.testing.assert_allclose(values, acquisition(reached))
    assert (values >= acquisition(starts)).all()
    np.testing.assert_allclose(reached, np.tile(target, (3, 1)), atol=0.05)
    np.testing.assert_array_equal(reached[2], target)  # an optimum is never left


def test_a_missing_scikit_learn_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    X, y = data(n=5)
    with pytest.raises(ts.MissingExtraError, match=r"pip install 'tunesmith\[sklearn\]'"):
        RandomForestSurrogate().fit(X, y)
    with pytest.raises(ImportError):  # MissingExtraError is an ImportError
        RandomForestSurrogate().fit(X, y)
