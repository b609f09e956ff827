"""Acquisition functions against closed forms, numerical integration and finite differences."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from tunesmith.models.acquisition import (
    ACQUISITIONS,
    chain_to_x,
    expected_improvement,
    get_acquisition,
    log_expected_improvement,
    log_h,
    log_probability_of_improvement,
    lower_confidence_bound,
    probability_of_improvement,
)
from tunesmith.models.gp import GaussianProcess, GPParams

MEAN = np.array([-1.0, 0.0, 0.3, 2.0, 5.0])
STD = np.array([0.5, 1.0, 0.1, 1.5, 0.7])
BEST = 0.2


def test_ei_equals_the_integral_of_the_improvement() -> None:
    value, _, _ = expected_improvement(MEAN, STD, BEST)
    for m, s, v in zip(MEAN, STD, value, strict=True):
        integral, _ = scipy.integrate.quad(
            lambda f, m=m, s=s: (BEST - f) * scipy.stats.norm.pdf(f, m, s), -np.inf, BEST
        )
        assert v == pytest.approx(integral, rel=1e-7, abs=1e-12)


def test_ei_pi_lcb_closed_forms() -> None:
    z = (BEST - MEAN) / STD
    ei, _, _ = expected_improvement(MEAN, STD, BEST)
    expected = (BEST - MEAN) * scipy.stats.norm.cdf(z) + STD * scipy.stats.norm.pdf(z)
    np.testing.assert_allclose(ei, expected, rtol=1e-12)
    pi, _, _ = probability_of_improvement(MEAN, STD, BEST)
    np.testing.assert_allclose(pi, scipy.stats.norm.cdf(z), rtol=1e-12)
    log_pi, _, _ = log_probability_of_improvement(MEAN, STD, BEST)
    np.testing.assert_allclose(log_pi, scipy.stats.norm.logcdf(z), rtol=1e-12)
    lcb, _, _ = lower_confidence_bound(MEAN, STD, 1.5)
    np.testing.assert_allclose(lcb, -(MEAN - 1.5 * STD))


def test_log_ei_is_the_log_of_ei_where_ei_is_representable() -> None:
    z = np.concatenate([np.linspace(-30, 6, 200), [-1.0, -1.0 + 1e-12, -1.0 - 1e-12]])
    mean, std = BEST - z * 0.7, np.full(z.shape, 0.7)
    ei, _, _ = expected_improvement(mean, std, BEST)
    log_ei, _, _ = log_expected_improvement(mean, std, BEST)
    np.testing.assert_allclose(log_ei, np.log(ei), rtol=1e-9)


@pytest.mark.parametrize("z", [-40.0, -100.0, -1e3, -1e5])
def test_log_ei_is_finite_and_accurate_where_ei_underflows(z: float) -> None:
    if z == -40.0:
        assert expected_improvement(np.array([-z]), np.array([1.0]), 0.0)[0][0] == 0.0
    # h(z) = phi(z) / z^2 (1 - 3/z^2 + 15/z^4 - 105/z^6 + ...) as z -> -inf
    series = 1 - 3 / z**2 + 15 / z**4 - 105 / z**6 + 945 / z**8
    expected = -0.5 * z * z - 0.5 * math.log(2 * math.pi) - 2 * math.log(-z) + math.log(series)
    value, slope = log_h(np.array([z]))
    assert value[0] == pytest.approx(expected, rel=1e-12, abs=1e-9)
    # d log h / dz = Phi(z) / h(z) ~ |z| + 2 / |z| for large |z|
    assert slope[0] == pytest.approx(-z - 2 / z, rel=1e-4)


def test_log_h_is_finite_and_increasing_across_all_branches() -> None:
    z = -np.logspace(12, -3, 300)
    value, slope = log_h(z)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(slope))
    assert np.all(np.diff(value) > 0) and np.all(slope > 0)


Acq = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
CASES: dict[str, Acq] = {
    "ei": lambda m, s: expected_improvement(m, s, BEST),
    "logei": lambda m, s: log_expected_improvement(m, s, BEST),
    "pi": lambda m, s: probability_of_improvement(m, s, BEST),
    "logpi": lambda m, s: log_probability_of_improvement(m, s, BEST),
    "lcb": lambda m, s: lower_confidence_bound(m, s, 2.0),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("scale", [1.0, 30.0], ids=["near", "far"])
def test_gradients_match_finite_differences(name: str, scale: float) -> None:
    f = CASES[name]
    mean, std = MEAN * scale, STD
    _, dmean, dstd = f(mean, std)
    eps = 1e-6 * np.maximum(1.0, np.abs(mean))
    fd_mean = (f(mean + eps, std)[0] - f(mean - eps, std)[0]) / (2 * eps)
    fd_std = (f(mean, std + 1e-7)[0] - f(mean, std - 1e-7)[0]) / 2e-7
    np.testing.assert_allclose(dmean, fd_mean, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(dstd, fd_std, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name", ACQUISITIONS)
def test_gradient_w_r_t_inputs_through_a_gp(name: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.random((12, 2))
    gp = GaussianProcess(
        X, np.sin(4 * X[:, 0]) + X[:, 1], GPParams(np.array([0.4, 0.6]), 1.0, 1e-4, 0.0)
    )
    acq = get_acquisition(name, kappa=1.0)
    Q = rng.random((5, 2))

    def value(q: np.ndarray) -> np.ndarray:
        m, v = gp.posterior(q)
        return acq(m, np.sqrt(v), 0.1)[0]

    m, v, dm, dv = gp.posterior_with_grad(Q)
    s = np.sqrt(v)
    _, da_dm, da_ds = acq(m, s, 0.1)
    grad = chain_to_x(da_dm, da_ds, s, dm, dv)
    eps = 1e-6
    for j in range(2):
        step = np.zeros(2)
        step[j] = eps
        fd = (value(Q + step) - value(Q - step)) / (2 * eps)
        np.testing.assert_allclose(grad[:, j], fd, rtol=1e-4, atol=1e-8)


def test_unknown_acquisition_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError) as info:
        get_acquisition("ucb2")
    message = str(info.value)
    assert "'ucb2'" in message
    for name in ACQUISITIONS:
        assert name in message


@pytest.mark.parametrize(
    ("kappa", "error"),
    [(-0.5, ValueError), (math.inf, ValueError), (math.nan, ValueError), ("2", TypeError)],
)
def test_bad_kappa_is_refused_with_its_value_and_the_allowed_range(
    kappa: object, error: type[Exception]
) -> None:
    with pytest.raises(error) as info:
        get_acquisition("lcb", kappa=kappa)  # type: ignore[arg-type]
    assert "[0, inf)" in str(info.value) and repr(kappa) in str(info.value)


def test_kappa_zero_is_pure_exploitation() -> None:
    value, _, _ = get_acquisition("lcb", kappa=0)(MEAN, STD, BEST)
    np.testing.assert_allclose(value, -MEAN)


def test_ucb_is_the_confidence_bound_under_the_name_most_libraries_use() -> None:
    mean, std = np.array([0.5, -1.0]), np.array([2.0, 0.1])
    for got, want in zip(
        get_acquisition("ucb", kappa=1.5)(mean, std, 0.0),
        get_acquisition("lcb", kappa=1.5)(mean, std, 0.0),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(
        get_acquisition("ucb", kappa=1.5)(mean, std, 0.0)[0], 1.5 * std - mean
    )
