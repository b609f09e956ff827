"""GP regression: posterior against a dense direct solve, gradients against finite differences;
input warping: its math, its gradients, and a non-stationary function it fits better."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

import tunesmith as ts
from tunesmith.models.gp import (
    GaussianProcess,
    GPParams,
    _kumaraswamy,
    fit_gp,
    log_posterior,
    warp_inputs,
)
from tunesmith.samplers import GPSampler

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


# -- input warping ---------------------------------------------------------------------------------
WARPED = GPParams(
    lengthscales=np.array([0.3, 0.8, 0.5]),
    signal_var=1.7,
    noise_var=1e-3,
    mean=0.2,
    warp_a=np.array([0.5, 2.5, 1.0]),
    warp_b=np.array([1.8, 0.4, 1.0]),
)


def kumaraswamy(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """The Kumaraswamy CDF by its definition."""
    out: np.ndarray = 1.0 - (1.0 - u**a) ** b
    return out


def test_warp_inputs_is_the_kumaraswamy_cdf_of_the_non_categorical_columns() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((50, 3))
    a, b = np.array([0.5, 3.0, 2.0]), np.array([2.0, 0.3, 0.7])
    W = warp_inputs(X, a, b, categorical=[False, False, True])
    for j in range(2):  # the squeeze into [eps, 1 - eps] moves w by less than 1e-5
        np.testing.assert_allclose(W[:, j], kumaraswamy(X[:, j], a[j], b[j]), atol=1e-5)
    np.testing.assert_array_equal(W[:, 2], X[:, 2])  # categorical: untouched
    u = np.linspace(0.0, 1.0, 1001)[:, None]
    w = warp_inputs(u, np.array([0.3]), np.array([4.0]))[:, 0]
    assert np.all(np.diff(w) > 0)  # increasing
    # The ends are the CDF at eps and 1 - eps: steep (a < 1) near 0, but finite.
    assert w[0] == pytest.approx(kumaraswamy(np.array(1e-7), 0.3, 4.0), rel=1e-9)
    assert 1.0 - 1e-6 < w[-1] <= 1.0
    identity = warp_inputs(u, np.ones(1), np.ones(1))
    np.testing.assert_allclose(identity, u, atol=1e-6)


def test_warp_inputs_keeps_nan_and_values_outside_the_cube() -> None:
    X = np.array([[np.nan, 0.3], [-0.5, np.nan], [0.0, 1.0], [1.0, 0.0]])
    W = warp_inputs(X, np.array([0.5, 2.0]), np.array([2.0, 0.5]))
    assert np.isnan(W[0, 0]) and np.isnan(W[1, 1])  # inactive stays inactive
    assert W[1, 0] == -0.5  # the sampler's constant for inactive parameters passes through
    assert np.all(np.isfinite(W[2:])) and np.all((W[2:] >= 0) & (W[2:] <= 1))
    with pytest.raises(ValueError, match="positive"):
        warp_inputs(X, np.array([0.0, 1.0]), np.ones(2))
    with pytest.raises(ValueError, match="2 positive exponents"):
        warp_inputs(X, np.ones(3), np.ones(3))


@pytest.mark.parametrize("a, b", [(0.3, 0.4), (1.0, 1.0), (2.5, 0.5), (0.2, 6.0), (8.0, 9.0)])
def test_kumaraswamy_derivatives_match_finite_differences(a: float, b: float) -> None:
    # Interior points and the ends of the cube, where u^(a-1) or (1 - u^a)^(b-1) blow up.
    U = np.array([[1e-9], [1e-4], [0.05], [0.3], [0.5], [0.8], [0.99], [1.0 - 1e-6]])
    va, vb, mask = np.array([a]), np.array([b]), np.array([True])
    got = _kumaraswamy(U, va, vb, mask)
    assert all(np.all(np.isfinite(g)) for g in (got.W, got.dW_du, got.dW_dloga, got.dW_dlogb))
    h = 1e-7
    for analytic, fa, fb in [(got.dW_dloga, 1.0, 0.0), (got.dW_dlogb, 0.0, 1.0)]:
        up = _kumaraswamy(U, va * np.exp(fa * h), vb * np.exp(fb * h), mask).W
        down = _kumaraswamy(U, va * np.exp(-fa * h), vb * np.exp(-fb * h), mask).W
        np.testing.assert_allclose(analytic, (up - down) / (2 * h), rtol=1e-5, atol=1e-7)
    inner = U * (1 - 1e-5) + 5e-6  # keeps u +- h inside [0, 1]
    got = _kumaraswamy(inner, va, vb, mask)
    fd = (
        _kumaraswamy(inner + 1e-9, va, vb, mask).W - _kumaraswamy(inner - 1e-9, va, vb, mask).W
    ) / (2e-9)
    np.testing.assert_allclose(got.dW_du, fd, rtol=1e-4, atol=1e-6)


def test_warped_params_round_trip_and_are_validated() -> None:
    theta = WARPED.to_theta()
    assert theta.shape == (12,)
    back = GPParams.from_theta(theta, warped=True)
    for field in ("lengthscales", "warp_a", "warp_b"):
        np.testing.assert_allclose(getattr(back, field), getattr(WARPED, field))
    assert back.warped and not GPParams.from_theta(PARAMS.to_theta()).warped
    mode = GPParams.prior_mode(2, warped=True)
    assert mode.warp_a is not None and mode.warp_b is not None
    np.testing.assert_array_equal(mode.warp_a, 1.0)
    np.testing.assert_array_equal(mode.warp_b, 1.0)
    assert PARAMS.with_warping(True).to_theta()[6:].tolist() == [0.0] * 6
    assert not WARPED.with_warping(False).warped
    with pytest.raises(ValueError, match="both"):
        GPParams(np.ones(2), 1.0, 1e-3, 0.0, warp_a=np.ones(2))
    with pytest.raises(ValueError, match="one exponent per dimension"):
        GPParams(np.ones(2), 1.0, 1e-3, 0.0, warp_a=np.ones(3), warp_b=np.ones(3))
    with pytest.raises(ValueError, match="3 d \\+ 3"):
        GPParams.from_theta(np.zeros(7), warped=True)
    with pytest.raises(ValueError, match="12 entries"):
        log_posterior(PARAMS.to_theta(), *data()[:1], np.zeros(15), input_warping=True)


def test_warped_posterior_is_the_posterior_on_warped_inputs() -> None:
    X, y = data()
    Q = np.random.default_rng(1).random((7, 3))
    Q[:, 2] = X[:7, 2]
    gp = GaussianProcess(X, y, WARPED, categorical=CAT, y_mean=0.5, y_std=2.0)
    assert WARPED.warp_a is not None and WARPED.warp_b is not None
    plain = GPParams(WARPED.lengthscales, WARPED.signal_var, WARPED.noise_var, WARPED.mean)
    on_warped = GaussianProcess(
        warp_inputs(X, WARPED.warp_a, WARPED.warp_b, categorical=CAT),
        y,
        plain,
        categorical=CAT,
        y_mean=0.5,
        y_std=2.0,
    )
    expected = on_warped.posterior(warp_inputs(Q, WARPED.warp_a, WARPED.warp_b, categorical=CAT))
    np.testing.assert_allclose(gp.posterior(Q), expected, rtol=1e-10, atol=1e-12)
    more = gp.condition_on(Q[:2], y[:2])  # keeps the warping
    full = GaussianProcess(
        np.vstack([X, Q[:2]]), np.r_[y, y[:2]], WARPED, categorical=CAT, y_mean=0.5, y_std=2.0
    )
    np.testing.assert_allclose(more.posterior(Q), full.posterior(Q), rtol=1e-9)


@pytest.mark.parametrize("categorical", [None, CAT])
def test_warped_log_posterior_is_the_likelihood_on_warped_inputs(
    categorical: np.ndarray | None,
) -> None:
    X, y = data(20, seed=3)
    z = (y - y.mean()) / y.std()
    cat = np.zeros(3, dtype=bool) if categorical is None else categorical
    params = (
        WARPED
        if categorical is not None
        else GPParams(
            WARPED.lengthscales,
            1.7,
            1e-3,
            0.2,
            np.array([0.5, 2.5, 0.7]),
            np.array([1.8, 0.4, 3.0]),
        )
    )
    assert params.warp_a is not None and params.warp_b is not None
    Wx = warp_inputs(X, params.warp_a, params.warp_b, categorical=cat)
    K = matern_direct(Wx, Wx, params, cat) + params.noise_var * np.eye(len(X))
    loglik = scipy.stats.multivariate_normal(np.full(len(X), params.mean), K).logpdf(z)
    plain = GPParams(params.lengthscales, params.signal_var, params.noise_var, params.mean)
    value, _ = log_posterior(params.to_theta(), X, z, categorical=cat, input_warping=True)
    unwarped_prior = log_posterior(plain.to_theta(), X, z, categorical=cat)[0] - (
        scipy.stats.multivariate_normal(
            np.full(len(X), params.mean),
            matern_direct(X, X, plain, cat) + plain.noise_var * np.eye(len(X)),
        ).logpdf(z)
    )
    # The log prior of log a, log b: N(0, 0.5^2) on each warped dimension.
    cols = ~cat
    logs = np.r_[np.log(params.warp_a[cols]), np.log(params.warp_b[cols])]
    warp_prior = -0.5 * float(np.sum(logs**2)) / 0.5**2
    assert value == pytest.approx(loglik + unwarped_prior + warp_prior, abs=1e-6)


@pytest.mark.parametrize("categorical", [None, CAT])
def test_warped_log_posterior_gradient_matches_finite_differences(
    categorical: np.ndarray | None,
) -> None:
    X, y = data(20, seed=3)
    X[0, 0], X[1, 1] = 0.0, 1.0  # the ends of the cube
    z = (y - y.mean()) / y.std()
    theta = WARPED.to_theta() + 0.1 * np.random.default_rng(0).standard_normal(12)

    def f(t: np.ndarray) -> float:
        return log_posterior(t, X, z, categorical=categorical, input_warping=True)[0]

    _, grad = log_posterior(theta, X, z, categorical=categorical, input_warping=True)
    eps = 1e-6
    fd = np.array([(f(theta + eps * e) - f(theta - eps * e)) / (2 * eps) for e in np.eye(12)])
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5)


def test_warped_posterior_gradients_match_finite_differences() -> None:
    X, y = data(20, seed=4)
    gp = GaussianProcess(X, y, WARPED, categorical=CAT)
    rng = np.random.default_rng(5)
    Q = rng.random((6, 3))
    Q[0, :2] = [1e-4, 1 - 1e-4]  # near the ends, where dw/du is large or small
    Q[:, 2] = X[:6, 2]
    mean, var, dmean, dvar = gp.posterior_with_grad(Q)
    np.testing.assert_allclose((mean, var), gp.posterior(Q), rtol=1e-12)
    eps = 1e-6
    for j in range(2):
        step = np.zeros(3)
        step[j] = eps
        (m1, v1), (m0, v0) = gp.posterior(Q + step), gp.posterior(Q - step)
        # rtol 1e-4: the curvature of w near u = 1e-4 limits the finite differences
        np.testing.assert_allclose(dmean[:, j], (m1 - m0) / (2 * eps), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(dvar[:, j], (v1 - v0) / (2 * eps), rtol=1e-4, atol=1e-6)
    assert np.all(dmean[:, 2] == 0) and np.all(dvar[:, 2] == 0)


def test_warping_fits_a_non_stationary_function_better() -> None:
    # sin(1 / (u + 0.1)) oscillates fast near 0 and slowly near 1: no single lengthscale fits,
    # a warping that stretches the left end does.
    def f(u: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.sin(1.0 / (u + 0.1))
        return out

    grid = np.linspace(0.0, 1.0, 401)[:, None]
    errors: dict[bool, list[float]] = {False: [], True: []}
    for seed in range(5):
        X = np.random.default_rng(seed).random((15, 1))
        y = f(X[:, 0])
        lp = {}
        for warp in (False, True):
            gp = fit_gp(X, y, rng=np.random.default_rng(0), input_warping=warp)
            z = (y - gp.y_mean) / gp.y_std
            lp[warp] = log_posterior(gp.params.to_theta(), X, z, input_warping=warp)[0]
            errors[warp].append(
                float(np.sqrt(np.mean((gp.posterior(grid)[0] - f(grid[:, 0])) ** 2)))
            )
            if warp:
                assert gp.params.warp_a is not None and gp.params.warp_a[0] < 1.0  # stretches u ~ 0
        assert lp[True] > lp[False] + 5.0  # the warped fit explains the data far better
    assert np.mean(errors[True]) < 0.8 * np.mean(errors[False])


def test_warping_stays_near_the_identity_when_the_data_do_not_ask_for_it() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((30, 2))
    y = X[:, 0] + 0.5 * X[:, 1]  # linear: no warping needed
    gp = fit_gp(X, y, rng=rng, input_warping=True)
    assert gp.params.warp_a is not None and gp.params.warp_b is not None
    assert np.all(np.abs(np.log(gp.params.warp_a)) < 0.5)
    assert np.all(np.abs(np.log(gp.params.warp_b)) < 0.5)


def test_warped_fit_leaves_categoricals_alone_and_warm_starts_across_settings() -> None:
    X, y = data(25, seed=2)
    plain = fit_gp(X, y, categorical=CAT, rng=np.random.default_rng(0))
    warped = fit_gp(
        X,
        y,
        categorical=CAT,
        warm_start=plain.params,
        input_warping=True,
        rng=np.random.default_rng(0),
    )
    assert warped.params.warp_a is not None and warped.params.warp_b is not None
    assert warped.params.warp_a[2] == 1.0 and warped.params.warp_b[2] == 1.0
    z = (y - warped.y_mean) / warped.y_std
    lp_plain = log_posterior(
        plain.params.with_warping(True).to_theta(), X, z, categorical=CAT, input_warping=True
    )[0]
    lp_warped = log_posterior(warped.params.to_theta(), X, z, categorical=CAT, input_warping=True)[
        0
    ]
    assert lp_warped >= lp_plain - 1e-6  # the warm start (identity warping) is a start
    again = fit_gp(X, y, categorical=CAT, warm_start=warped.params, rng=np.random.default_rng(0))
    assert not again.params.warped  # a warped warm start for an unwarped fit drops the warping
    only_cat = fit_gp(X[:, 2:], y, categorical=[True], input_warping=True)
    assert not only_cat.params.warped  # nothing to warp
    assert fit_gp(np.empty((0, 2)), np.empty(0), input_warping=True).params.warped


def test_gp_sampler_input_warping_option() -> None:
    assert "input_warping=True" in repr(GPSampler(seed=0, input_warping=True))
    with pytest.raises(TypeError, match="`input_warping` must be a bool"):
        GPSampler(input_warping="yes")  # type: ignore[arg-type]
    # Floats, ints, a categorical and a conditional parameter, with a constraint.
    space = {
        "x": ts.Float(0.0, 1.0),
        "n": ts.Int(1, 8),
        "kind": ts.Categorical(["a", "b"]),
    }

    def objective(trial: ts.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        n = trial.suggest_int("n", 1, 8)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        extra = trial.suggest_float("lr", 1e-4, 1.0, log=True) if kind == "a" else 0.5
        trial.set_constraints([x - 0.9])
        return math.sin(1.0 / (x + 0.1)) + 0.1 * n + extra

    assert space  # the define-by-run objective declares the same parameters
    sampler = GPSampler(seed=0, n_startup_trials=5, input_warping=True)
    study = ts.create_study(sampler=sampler)
    study.optimize(objective, n_trials=14)
    fit = next(iter(sampler._fits.values()))
    assert fit.objective.warped and all(c is not None and c.warped for c in fit.constraints)
    assert len(study.trials) == 14 and study.best_trial.params["x"] <= 0.9
