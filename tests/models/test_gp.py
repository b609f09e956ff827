"""GP regression: posterior against a dense direct solve, gradients against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from tunesmith.models.gp import (
    GaussianProcess,
    GPParams,
    fit_gp,
    log_posterior,
    standardisation,
    warp_outputs,
)

CAT = np.array([False, False, True])


def data(n: int = 15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3))
    X[:, 2] = (rng.integers(0, 3, n) + 0.5) / 3  # a categorical with three bins
    y = np.sin(5 * X[:, 0]) + X[:, 1] ** 2 + np.where(X[:, 2] < 0.4, 1.0, 0.0)
    return X, y


PARAMS = GPParams(lengthscales=np.array([0.3, 0.8, 0.5]), signal_var=1.7, noise_var=1e-3, mean=0.2)


def matern_direct(A: np.ndarray, B: np.ndarray, params: GPParams, cat: np.ndarray) -> np.ndarray:
    """Matérn-5/2 by its definition, one pair at a time."""
    K = np.empty((len(A), len(B)))
    for i, a in enumerate(A):
        for j, b in enumerate(B):
            d = np.where(cat, (np.abs(a - b) > 1e-9).astype(float), a - b)
            r = math.sqrt(float(np.sum((d / params.lengthscales) ** 2)))
            K[i, j] = (
                params.signal_var
                * (1 + math.sqrt(5) * r + 5 * r**2 / 3)
                * math.exp(-math.sqrt(5) * r)
            )
    return K


def test_posterior_matches_a_dense_direct_solve() -> None:
    X, y = data()
    rng = np.random.default_rng(1)
    Q = rng.random((7, 3))
    Q[:, 2] = (rng.integers(0, 3, 7) + 0.5) / 3
    gp = GaussianProcess(X, y, PARAMS, categorical=CAT, y_mean=0.5, y_std=2.0)
    z = (y - 0.5) / 2.0
    K = matern_direct(X, X, PARAMS, CAT) + PARAMS.noise_var * np.eye(len(X))
    Ks = matern_direct(Q, X, PARAMS, CAT)
    mean = PARAMS.mean + Ks @ np.linalg.solve(K, z - PARAMS.mean)
    var = PARAMS.signal_var - np.einsum("ij,ji->i", Ks, np.linalg.solve(K, Ks.T))
    got_mean, got_var = gp.posterior(Q)
    np.testing.assert_allclose(got_mean, 0.5 + 2.0 * mean, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(got_var, 4.0 * var, rtol=1e-6, atol=1e-9)


def test_default_standardisation_uses_the_mean_and_std_of_y() -> None:
    X, y = data()
    gp = GaussianProcess(X, 3.0 * y + 7.0, PARAMS, categorical=CAT)
    base = GaussianProcess(X, y, PARAMS, categorical=CAT)
    Q = X[:4] + 0.01 * np.array([1.0, -1.0, 0.0])
    m1, v1 = gp.posterior(Q)
    m0, v0 = base.posterior(Q)
    np.testing.assert_allclose(m1, 3.0 * m0 + 7.0, rtol=1e-10)
    np.testing.assert_allclose(v1, 9.0 * v0, rtol=1e-8)


def test_log_posterior_value_is_the_gaussian_likelihood_plus_the_prior() -> None:
    X, y = data()
    z = (y - y.mean()) / y.std()
    theta = PARAMS.to_theta()
    K = matern_direct(X, X, PARAMS, CAT) + PARAMS.noise_var * np.eye(len(X))
    loglik = scipy.stats.multivariate_normal(np.full(len(X), PARAMS.mean), K).logpdf(z)
    value, _ = log_posterior(theta, X, z, categorical=CAT)
    shifted, _ = log_posterior(theta + 0.1, X, z, categorical=CAT)
    K2 = matern_direct(X, X, GPParams.from_theta(theta + 0.1), CAT)
    K2 += GPParams.from_theta(theta + 0.1).noise_var * np.eye(len(X))
    loglik2 = scipy.stats.multivariate_normal(np.full(len(X), PARAMS.mean + 0.1), K2).logpdf(z)
    # The prior is Gaussian in theta: its difference between the two points is known up to the
    # likelihood terms, and the likelihood part must be exact.
    prior_diff = (shifted - loglik2) - (value - loglik)
    assert math.isfinite(prior_diff)
    assert abs(prior_diff) < 5.0


@pytest.mark.parametrize("categorical", [None, CAT])
def test_log_posterior_gradient_matches_finite_differences(categorical: np.ndarray | None) -> None:
    X, y = data(20, seed=3)
    z = (y - y.mean()) / y.std()
    theta = PARAMS.to_theta() + np.array([0.1, -0.2, 0.3, 0.1, 1.0, -0.1])
    _, grad = log_posterior(theta, X, z, categorical=categorical)
    eps = 1e-6
    fd = np.array(
        [
            (
                log_posterior(theta + eps * e, X, z, categorical=categorical)[0]
                - log_posterior(theta - eps * e, X, z, categorical=categorical)[0]
            )
            / (2 * eps)
            for e in np.eye(len(theta))
        ]
    )
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5)


def test_posterior_gradients_match_finite_differences() -> None:
    X, y = data(20, seed=4)
    gp = GaussianProcess(X, y, PARAMS, categorical=CAT)
    rng = np.random.default_rng(5)
    Q = rng.random((6, 3))
    Q[:, 2] = X[:6, 2]
    mean, var, dmean, dvar = gp.posterior_with_grad(Q)
    np.testing.assert_allclose((mean, var), gp.posterior(Q), rtol=1e-12)
    eps = 1e-6
    for j in range(2):
        step = np.zeros(3)
        step[j] = eps
        (m1, v1), (m0, v0) = gp.posterior(Q + step), gp.posterior(Q - step)
        np.testing.assert_allclose(dmean[:, j], (m1 - m0) / (2 * eps), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(dvar[:, j], (v1 - v0) / (2 * eps), rtol=1e-5, atol=1e-7)
    assert np.all(dmean[:, 2] == 0) and np.all(dvar[:, 2] == 0)  # categorical: no gradient


def test_posterior_interpolates_noise_free_data_and_is_uncertain_far_away() -> None:
    X, y = data(12, seed=6)
    gp = fit_gp(X, y, categorical=CAT, rng=np.random.default_rng(0))
    mean, var = gp.posterior(X)
    np.testing.assert_allclose(mean, y, atol=0.05 * np.ptp(y))
    assert np.all(var < 0.01 * y.var())
    _, far = gp.posterior(np.array([[5.0, 5.0, 0.5]]))
    assert far[0] > 0.2 * y.var()


def test_fit_finds_the_irrelevant_dimension_and_small_noise() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((30, 3))
    y = np.sin(6 * X[:, 0]) + 0.5 * X[:, 1]
    gp = fit_gp(X, y, rng=rng)
    ls = gp.params.lengthscales
    assert ls[2] > 3 * ls[0] and ls[2] > ls[1]
    assert gp.params.noise_var < 1e-3


def test_fit_learns_the_noise_of_noisy_data() -> None:
    rng = np.random.default_rng(1)
    X = rng.random((60, 1))
    y = X[:, 0] + 0.3 * rng.standard_normal(60)
    gp = fit_gp(X, y, rng=rng)
    noise_sd = math.sqrt(gp.params.noise_var) * gp.y_std
    assert 0.15 < noise_sd < 0.5


def test_warm_start_reaches_the_same_fit() -> None:
    X, y = data(25, seed=2)
    cold = fit_gp(X, y, categorical=CAT, rng=np.random.default_rng(0))
    warm = fit_gp(X, y, categorical=CAT, warm_start=cold.params, rng=np.random.default_rng(1))
    z = (y - warm.y_mean) / warm.y_std
    lp_cold = log_posterior(cold.params.to_theta(), X, z, categorical=CAT)[0]
    lp_warm = log_posterior(warm.params.to_theta(), X, z, categorical=CAT)[0]
    assert lp_warm >= lp_cold - 1e-6
    # A warm start of the wrong dimension is ignored rather than failing.
    other = GPParams(np.ones(5), 1.0, 1e-3, 0.0)
    assert fit_gp(X, y, warm_start=other, rng=np.random.default_rng(0)).params.n_dims == 3


def test_condition_on_equals_a_gp_built_on_all_the_data() -> None:
    X, y = data(15, seed=7)
    gp = GaussianProcess(X[:10], y[:10], PARAMS, categorical=CAT, y_mean=0.1, y_std=1.3)
    more = gp.condition_on(X[10:], y[10:])
    full = GaussianProcess(X, y, PARAMS, categorical=CAT, y_mean=0.1, y_std=1.3)
    Q = np.random.default_rng(0).random((5, 3))
    np.testing.assert_allclose(more.posterior(Q), full.posterior(Q), rtol=1e-9)


@pytest.mark.parametrize(
    "y",
    [np.full(8, 3.0), np.full(8, 0.0), np.array([1e150, -1e150, 1e150, 5.0, 0.0, 1.0, 2.0, 3.0])],
    ids=["constant", "zeros", "huge"],
)
def test_degenerate_targets_never_break_the_model(y: np.ndarray) -> None:
    X = np.random.default_rng(0).random((8, 2))
    gp = fit_gp(X, y, rng=np.random.default_rng(0))
    mean, var, dmean, dvar = gp.posterior_with_grad(np.random.default_rng(1).random((4, 2)))
    for a in (mean, var, dmean, dvar):
        assert np.all(np.isfinite(a))
    assert np.all(var > 0)


def test_nan_targets_are_ignored_and_nan_inputs_refused() -> None:
    X, y = data(10)
    y_nan = y.copy()
    y_nan[[2, 5]] = np.nan
    gp = fit_gp(X, y_nan, categorical=CAT, rng=np.random.default_rng(0))
    assert len(gp.y) == 8
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="impute"):
        fit_gp(X_nan, y)
    with pytest.raises(ValueError, match="one flag per dimension"):
        fit_gp(X, y, categorical=[True])


def test_no_data_gives_the_prior() -> None:
    gp = fit_gp(np.empty((0, 2)), np.empty(0))
    mean, var = gp.posterior(np.array([[0.5, 0.5]]))
    assert np.isfinite(mean[0]) and var[0] > 0


def test_standardisation_of_huge_values_does_not_overflow() -> None:
    mean, std = standardisation(np.array([1.7e308, -1.7e308, 0.0]))
    assert math.isfinite(mean) and math.isfinite(std) and std > 0


@pytest.mark.parametrize("method", ["power", "copula", "none"])
def test_warping_is_increasing_and_tames_outliers(method: str) -> None:
    rng = np.random.default_rng(0)
    y = np.concatenate([rng.random(20), [1e3, 1e6]])
    w = warp_outputs(y, method)  # type: ignore[arg-type]
    order = np.argsort(y)
    assert np.all(np.diff(w[order]) > 0)
    if method != "none":
        # The largest outlier no longer dwarfs the spread of the other values.
        assert (w.max() - np.median(w)) < 10 * np.std(w[:20])


def test_power_warping_matches_scipy_yeo_johnson() -> None:
    y = np.exp(np.random.default_rng(2).standard_normal(40))
    q1, q3 = np.percentile(y, [25, 75])
    expected = scipy.stats.yeojohnson((y - np.median(y)) / ((q3 - q1) / 1.349))[0]
    expected = (expected - expected.mean()) / expected.std()
    np.testing.assert_allclose(warp_outputs(y, "power"), expected, atol=0.02)


def test_unknown_warping_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'box-cox'.*'power'"):
        warp_outputs(np.arange(5.0), "box-cox")  # type: ignore[arg-type]
